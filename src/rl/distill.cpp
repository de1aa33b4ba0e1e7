#include "rl/distill.h"

#include <chrono>
#include <cstdio>
#include <filesystem>

#include "core/error.h"
#include "io/file_util.h"
#include "rl/rollout.h"
#include "rl/task_corpus.h"
#include "tasks/registry.h"
#include "tasks/split.h"
#include "train/dist.h"
#include "tokenizer/tokenizer.h"
#include "train/token_data.h"
#include "train/trainer.h"

namespace r1::rl {

using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {
double now_s() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }


EvalResult eval_model(const std::string& dir, const tasks::Task& task, const std::vector<tasks::Problem>& set,
                      const EvalParams& p) {
  const Model m(dir);
  const tok::Tokenizer t(dir);
  return evaluate(m, t, task, set, p);
}
}  // namespace

json run_distill(const DistillOptions& o) {
  require(!o.teacher.empty() && !o.out.empty(), "distill: --teacher and --out are required");
  require(o.student_init.empty() != o.student_config.empty(), "distill: give one of --student-init and --student-config");
  const auto task = tasks::make_task(o.task, tasks::parse_task_options(o.task_options));
  const std::string traces = o.out + "/traces", student = o.out + "/student";
  fs::create_directories(traces);
  json report = {{"teacher", o.teacher}, {"task", o.task}};

  // 1. Rejection sampling from the teacher on training problems.
  const double t0 = now_s();
  std::vector<tasks::Problem> problems;
  Rng rng(o.seed * 7919 + 3);
  for (int64_t i = 0; i < o.problems; ++i) problems.push_back(tasks::sample_split(*task, rng, tasks::Split::train));
  const tok::Tokenizer tt(o.teacher);
  std::vector<std::vector<int32_t>> kept;
  std::vector<int64_t> kept_problem;
  {
    const Model teacher(o.teacher);
    BatchSampleParams sp;
    sp.n = o.samples, sp.max_tokens = o.max_tokens, sp.temperature = o.temperature, sp.seed = o.seed;
    for (const Rollout& r : rollout(teacher, tt, *task, problems, sp))
      if (r.reward.accuracy > 0 && r.finished) kept.push_back(r.tokens), kept_problem.push_back(r.problem);
  }
  require(!kept.empty(), "distill: the teacher solved none of the sampled problems; nothing to learn from");
  const auto ids0 = completion_corpus_ids(tt, problems, kept, kept_problem);
  if (int64_t(ids0.size()) <= o.seq)
    throw Error("distill: the teacher's " + std::to_string(kept.size()) + " correct traces hold " +
                std::to_string(ids0.size()) + " tokens, not one sequence of --seq " + std::to_string(o.seq) +
                "; sample more --problems or lower --seq");
  tok::copy_tokenizer_files(o.teacher, traces);
  const auto& ids = ids0;
  train::write_token_file(traces + "/train.tok", ids, tt.vocab_size());
  report["traces"] = {{"sampled", o.problems * o.samples}, {"kept", kept.size()}, {"tokens", ids.size()},
                      {"seconds", now_s() - t0}};
  std::fprintf(stderr, "[distill] kept %zu of %lld teacher samples (correct and finished), %zu tokens\n", kept.size(),
               (long long)(o.problems * o.samples), ids.size());

  // 2. The student learns the traces.
  train::TrainOptions to;
  to.config = o.student_config, to.init_dir = o.student_init, to.data = traces + "/train.tok", to.out = student;
  to.steps = o.steps, to.batch = o.batch, to.seq = o.seq, to.lr = o.lr, to.seed = o.seed, to.threads = o.threads;
  to.warmup = o.student_init.empty() ? -1 : 0;
  train::Dist dist;
  const double t1 = now_s();
  const auto tr = train::run_training(to, dist);
  const double distill_s = now_s() - t1;
  report["student_training"] = {{"steps", tr.steps_done}, {"loss_first", tr.first_loss}, {"loss_last", tr.last_loss},
                                {"seconds", distill_s}};

  // 3. Evaluation (and the GRPO comparison for the same wall time).
  const auto set = tasks::make_problem_set(*task, tasks::Split::test, size_t(o.eval_problems), o.seed + 1000);
  const EvalResult ev_t = eval_model(o.teacher, *task, set, o.eval);
  const EvalResult ev_s = eval_model(student, *task, set, o.eval);
  report["eval_teacher"] = ev_t.to_json();
  report["eval_student_distilled"] = ev_s.to_json();
  std::string md = "# Distillation: " + o.task + "\n\n| model | pass@1 | pass@k | format | mean length |\n|---|---|---|---|---|\n";
  auto line = [&](const std::string& name, const EvalResult& r) {
    char b[256];
    std::snprintf(b, sizeof b, "| %s | %.1f %% | %.1f %% | %.1f %% | %.1f |\n", name.c_str(), 100 * r.pass1,
                  100 * r.passk, 100 * r.format_rate, r.mean_length);
    md += b;
  };
  line("teacher", ev_t);
  if (!o.student_init.empty()) {
    const EvalResult ev_0 = eval_model(o.student_init, *task, set, o.eval);
    report["eval_student_start"] = ev_0.to_json();
    line("student start", ev_0);
  }
  line("student distilled on the teacher's correct traces", ev_s);
  if (o.compare_grpo) {
    require(!o.student_init.empty(), "distill: --compare-grpo needs --student-init (GRPO starts from a base)");
    GrpoOptions g = o.grpo;
    g.model = o.student_init, g.out = o.out + "/student_grpo", g.task = o.task, g.task_options = o.task_options;
    g.max_minutes = (distill_s + report["traces"]["seconds"].get<double>()) / 60.0;  // the same compute
    g.threads = o.threads;
    std::fprintf(stderr, "[distill] GRPO on the same student start for the same %.1f minutes\n", g.max_minutes);
    const auto log = run_grpo(g);
    const EvalResult ev_g = eval_model(g.out, *task, set, o.eval);
    report["eval_student_grpo"] = ev_g.to_json();
    report["grpo_steps"] = log.size();
    line("student trained by GRPO for the same time", ev_g);
  }
  write_file_atomic(o.out + "/report.json", report.dump(1) + "\n");
  write_file_atomic(o.out + "/report.md", md);
  std::fprintf(stderr, "%s", md.c_str());
  return report;
}

}  // namespace r1::rl
