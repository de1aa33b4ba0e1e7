// r1 grpo: reinforcement learning with rule-based rewards (GRPO) on a task; r1 eval: pass@1 / pass@k / format
// rate / mean completion length on the task's held-out problems.
#include <cstdio>

#include "cli/commands.h"
#include "core/error.h"
#include "rl/evaluate.h"
#include "rl/grpo_trainer.h"
#include "tasks/registry.h"
#include "tasks/split.h"

namespace r1::cli {

namespace {
rl::Aggregation parse_aggregation(const std::string& s) {
  if (s == "sequence") return rl::Aggregation::sequence_mean;
  if (s == "token") return rl::Aggregation::token_mean;
  if (s == "dr-grpo") return rl::Aggregation::constant_norm;
  throw Error("--aggregation must be sequence, token or dr-grpo, got '" + s + "'");
}
rl::OverlongMode parse_overlong(const std::string& s) {
  if (s == "keep") return rl::OverlongMode::keep;
  if (s == "penalize") return rl::OverlongMode::reward;
  if (s == "mask") return rl::OverlongMode::mask;
  throw Error("--overlong must be keep, penalize or mask, got '" + s + "'");
}
}  // namespace

Action add_grpo(CLI::App& app) {
  auto* cmd = app.add_subcommand("grpo", "Reinforcement learning with rule-based rewards (GRPO) on a task");
  auto o = std::make_shared<rl::GrpoOptions>();
  auto agg = std::make_shared<std::string>("sequence");
  auto overlong = std::make_shared<std::string>("keep");
  auto no_dyn = std::make_shared<bool>(false);
  auto no_std = std::make_shared<bool>(false);
  cmd->add_option("--model", o->model, "Base policy (Hugging Face folder with tokenizer)")->required();
  cmd->add_option("--task", o->task, "Task: arithmetic | countdown")->default_val(o->task);
  cmd->add_option("--task-options", o->task_options, "Task options k=v,... (e.g. ops=+-,min_operand=10,compact=1)");
  cmd->add_option("--out", o->out, "Output folder for the trained policy, grpo_log.jsonl and plots")->required();
  cmd->add_option("--steps", o->steps, "GRPO steps")->default_val(o->steps);
  cmd->add_option("--prompts", o->prompts, "Problems per step")->default_val(o->prompts);
  cmd->add_option("--group", o->group, "Completions per problem (G)")->default_val(o->group);
  cmd->add_option("--max-tokens", o->max_tokens, "Completion length limit")->default_val(o->max_tokens);
  cmd->add_option("--temperature", o->temperature, "Sampling temperature of the rollouts")->default_val(o->temperature);
  cmd->add_option("--mu", o->mu, "Policy updates per sampled batch")->default_val(o->mu);
  cmd->add_option("--lr", o->lr, "AdamW learning rate (peak of the cosine)")->default_val(o->lr);
  cmd->add_option("--min-lr-ratio", o->min_lr_ratio, "Final learning rate / peak (1: constant)")->default_val(o->min_lr_ratio);
  cmd->add_option("--clip-low", o->loss.clip_low, "PPO clip epsilon (lower)")->default_val(o->loss.clip_low);
  cmd->add_option("--clip-high", o->loss.clip_high, "PPO clip epsilon (upper; > clip-low for clip-higher)")
      ->default_val(o->loss.clip_high);
  cmd->add_option("--beta", o->loss.beta, "Weight of the k3 KL to the starting policy (0: off)")->default_val(0.0);
  cmd->add_option("--aggregation", *agg, "Loss aggregation: sequence (paper) | token | dr-grpo")->default_val(*agg);
  cmd->add_option("--overlong", *overlong, "Completions cut at --max-tokens: keep | penalize (reward 0) | mask")
      ->default_val(*overlong);
  cmd->add_flag("--no-dynamic-sampling", *no_dyn, "Keep groups whose rewards are all equal");
  cmd->add_flag("--no-std-scaling", *no_std, "Advantages r - mean without dividing by the std (Dr. GRPO)");
  cmd->add_option("--seed", o->seed, "Seed")->default_val(o->seed);
  cmd->add_option("--max-minutes", o->max_minutes, "Stop after this many minutes (0: no limit)")->default_val(0);
  cmd->add_option("--eval-every", o->eval_every, "Evaluate on held-out problems every N steps (0: never)")->default_val(0);
  cmd->add_option("--eval-problems", o->eval_problems, "Held-out problems for --eval-every")->default_val(o->eval_problems);
  cmd->add_option("-t,--threads", o->threads, "Threads")->default_val(0);
  return [o, agg, overlong, no_dyn, no_std]() {
    set_threads(o->threads);
    o->loss.aggregation = parse_aggregation(*agg);
    o->adv.overlong = parse_overlong(*overlong);
    o->adv.overlong_reward = 0.0;
    o->adv.drop_uniform_groups = !*no_dyn;
    o->adv.scale_by_std = !*no_std;
    const auto log = rl::run_grpo(*o);
    if (!log.empty())
      std::printf("grpo: %zu steps, sampled accuracy %.3f -> %.3f; wrote %s\n", log.size(),
                  log.front()["accuracy"].get<double>(), log.back()["accuracy"].get<double>(), o->out.c_str());
    return 0;
  };
}

Action add_eval(CLI::App& app) {
  auto* cmd = app.add_subcommand("eval", "pass@1, pass@k, format rate and length on a task's held-out problems");
  struct Opts {
    std::string model, task, task_options;
    int64_t problems = 1000;
    rl::EvalParams p;
    int threads = 0;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--model", o->model, "Model folder")->required();
  cmd->add_option("--task", o->task, "Task: arithmetic | countdown (default: the model's task.json)");
  cmd->add_option("--task-options", o->task_options, "Task options k=v,... (default: the model's task.json)");
  cmd->add_option("--problems", o->problems, "Held-out problems (the test split, fixed by --seed)")->default_val(o->problems);
  cmd->add_option("--samples,-k", o->p.k, "Samples per problem (pass@k)")->default_val(o->p.k);
  cmd->add_option("--temperature", o->p.temperature, "Sampling temperature")->default_val(o->p.temperature);
  cmd->add_option("--top-p", o->p.top_p, "Nucleus sampling")->default_val(o->p.top_p);
  cmd->add_option("--max-tokens", o->p.max_tokens, "Completion length limit")->default_val(o->p.max_tokens);
  cmd->add_option("--seed", o->p.seed, "Seed of the problem set and the samples")->default_val(0);
  cmd->add_flag("--json", o->json, "Print one JSON object");
  cmd->add_option("-t,--threads", o->threads, "Threads")->default_val(0);
  return [o]() {
    set_threads(o->threads);
    resolve_task(o->model, &o->task, &o->task_options);
    const Model m(o->model);
    const tok::Tokenizer t(o->model);
    const auto task = tasks::make_task(o->task, tasks::parse_task_options(o->task_options));
    const auto set = tasks::make_problem_set(*task, tasks::Split::test, size_t(o->problems), o->p.seed + 1);
    const rl::EvalResult r = rl::evaluate(m, t, *task, set, o->p);
    if (o->json) {
      std::printf("%s\n", r.to_json().dump().c_str());
    } else {
      std::printf("%lld held-out %s problems, %lld samples each (temperature %.2f):\n", (long long)r.problems,
                  o->task.c_str(), (long long)r.k, o->p.temperature);
      std::printf("  pass@1 %.4f   pass@%lld %.4f   format %.4f   mean length %.1f tokens   greedy accuracy %.4f\n",
                  r.pass1, (long long)r.k, r.passk, r.format_rate, r.mean_length, r.greedy);
    }
    return 0;
  };
}

}  // namespace r1::cli
