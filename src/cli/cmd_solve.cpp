// r1 solve: the reasoning model at work. Poses held-out problems of its task (or the one given), streams the
// model's visible reasoning (<think>…</think>, dimmed on a terminal) and its answer, and checks the answer with
// the task's verifier. The task and its options come from the model folder's task.json (written by r1 grpo /
// r1 zero) unless given.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "core/error.h"
#include "io/file_util.h"
#include "rl/rollout.h"
#include "runtime/generate.h"
#include "tasks/arithmetic.h"
#include "tasks/registry.h"
#include "tasks/split.h"
#include "tokenizer/tokenizer.h"

namespace r1::cli {

Action add_solve(CLI::App& app) {
  auto* cmd = app.add_subcommand("solve", "Pose problems to a reasoning model, stream its reasoning, check its answers");
  struct Opts {
    std::string model, task, task_options, problem;
    int64_t count = 3, max_tokens = 64;
    float temperature = 0.6f;
    uint64_t seed = 0;
    int threads = 0;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--model", o->model, "Model folder (e.g. models/r1-zero-arith)")->required();
  cmd->add_option("--task", o->task, "Task (default: the model's task.json)");
  cmd->add_option("--task-options", o->task_options, "Task options k=v,... (default: the model's task.json)");
  cmd->add_option("--problem", o->problem, "An arithmetic problem such as 37+58 (default: held-out problems)");
  cmd->add_option("--count", o->count, "Problems to pose")->default_val(o->count);
  cmd->add_option("--temperature", o->temperature, "Sampling temperature (0: greedy)")->default_val(o->temperature);
  cmd->add_option("--max-tokens", o->max_tokens, "Completion limit")->default_val(o->max_tokens);
  cmd->add_option("--seed", o->seed, "Which held-out problems, and the sampling seed")->default_val(0);
  cmd->add_option("-t,--threads", o->threads, "Threads")->default_val(0);
  return [o]() {
    set_threads(o->threads);
    std::string task_name = o->task, task_opts = o->task_options;
    resolve_task(o->model, &task_name, &task_opts);
    const auto task = tasks::make_task(task_name, tasks::parse_task_options(task_opts));
    std::vector<tasks::Problem> problems;
    if (!o->problem.empty()) {
      const auto* ar = dynamic_cast<const tasks::ArithmeticTask*>(task.get());
      require(ar != nullptr, "--problem is supported for the arithmetic task");
      const std::string& s = o->problem;
      const size_t k = s.find_first_of("+-*", 1);
      require(k != std::string::npos, "--problem must look like 37+58");
      problems.push_back(ar->make_problem(std::stoll(s.substr(0, k)), s[k], std::stoll(s.substr(k + 1))));
    } else {
      problems = tasks::make_problem_set(*task, tasks::Split::test, size_t(o->count), o->seed + 4242);
    }
    const Model m(o->model);
    const tok::Tokenizer t(o->model);
    const bool tty = isatty(STDOUT_FILENO);
    const char *dim = tty ? "\x1b[2m" : "", *bold = tty ? "\x1b[1m" : "", *reset = tty ? "\x1b[0m" : "";
    int correct = 0;
    for (size_t i = 0; i < problems.size(); ++i) {
      const tasks::Problem& p = problems[i];
      std::printf("%sProblem %zu:%s %s\n", bold, i + 1, reset, p.prompt.c_str());
      GenerateParams gp;
      gp.max_tokens = o->max_tokens;
      gp.sampler.temperature = o->temperature;
      gp.sampler.seed = o->seed * 1000 + i;
      tok::StreamDecoder dec(t);
      std::string text;
      bool thinking = false;
      generate(m, rl::prompt_ids(t, p), gp, [&](int32_t id) {
        if (id == t.eos_id()) return false;
        const std::string piece = dec.push(id);
        text += piece;
        if (piece == "<think>") {
          thinking = true;
          std::printf("%s<think>", dim);
        } else if (piece == "</think>") {
          thinking = false;
          std::printf("</think>%s\n", reset);
        } else {
          std::fputs(piece.c_str(), stdout);
        }
        std::fflush(stdout);
        return true;
      });
      text += dec.flush();
      if (thinking) std::printf("%s", reset);
      const tasks::Reward r = task->score(p, text);
      correct += r.accuracy > 0;
      if (r.format == 0) std::printf("\n  -> not in the <think>…</think><answer>…</answer> format (%s)\n", r.why.c_str());
      else if (r.accuracy > 0) std::printf("\n  -> answer %s: correct\n\n", r.answer.c_str());
      else std::printf("\n  -> answer %s: wrong (the verifier says: %s)\n\n", r.answer.c_str(), r.why.c_str());
    }
    std::printf("%d of %zu correct\n", correct, problems.size());
    return 0;
  };
}

}  // namespace r1::cli
