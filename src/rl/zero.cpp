#include "rl/zero.h"

#include <chrono>
#include <cstdio>
#include <filesystem>

#include "core/error.h"
#include "io/file_util.h"
#include "rl/task_corpus.h"
#include "tasks/registry.h"
#include "tasks/split.h"
#include "tokenizer/byte_tokenizer_writer.h"
#include "train/dist.h"
#include "train/token_data.h"
#include "train/trainer.h"

namespace r1::rl {

using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

EvalResult eval_stage(const std::string& name, const std::string& model, const tasks::Task& task,
                      const std::vector<tasks::Problem>& set, const EvalParams& p, const std::string& file) {
  std::fprintf(stderr, "[zero] evaluating %s on %zu held-out problems x %lld samples...\n", name.c_str(), set.size(),
               (long long)p.k);
  const double t0 = now_s();
  const Model m(model);
  const tok::Tokenizer t(model);
  EvalResult r = evaluate(m, t, task, set, p);
  json j = r.to_json();
  j["model"] = model;
  j["temperature"] = p.temperature;
  j["seconds"] = now_s() - t0;
  write_file_atomic(file, j.dump(1) + "\n");
  std::fprintf(stderr, "[zero] %s: pass@1 %.4f  pass@%lld %.4f  format %.4f  length %.1f  greedy %.4f  (%.0f s)\n",
               name.c_str(), r.pass1, (long long)r.k, r.passk, r.format_rate, r.mean_length, r.greedy, now_s() - t0);
  return r;
}

std::string row(const char* name, const EvalResult& r) {
  char b[256];
  std::snprintf(b, sizeof b, "| %s | %.1f %% | %.1f %% | %.1f %% | %.1f | %.1f %% |\n", name, 100 * r.pass1,
                100 * r.passk, 100 * r.format_rate, r.mean_length, 100 * r.greedy);
  return b;
}

}  // namespace

json run_zero(const ZeroOptions& o) {
  require(!o.out.empty(), "zero: --out is required");
  fs::create_directories(o.out);
  const auto task = tasks::make_task(o.task, tasks::parse_task_options(o.task_options));
  const std::string data = o.out + "/data", base = o.out + "/base", rl = o.out + "/rl";
  json report = {{"task", o.task}, {"task_options", o.task_options}, {"seed", o.seed}};
  const double t_all = now_s();

  // 1. corpus
  if (!(o.skip_existing && fs::exists(data + "/train.tok"))) {
    fs::create_directories(data);
    const int64_t vocab = tok::write_char_tokenizer(data);
    const tok::Tokenizer t(data);
    CorpusStats st;
    const auto ids = task_corpus_ids(t, *task, o.corpus_problems, o.slip, o.seed, &st);
    train::write_token_file(data + "/train.tok", ids, vocab);
    std::fprintf(stderr, "[zero] corpus: %lld worked solutions of training problems, %lld with a slip-induced wrong "
                 "answer (slip %.2f per step), %lld tokens\n", (long long)st.documents, (long long)st.wrong, o.slip,
                 (long long)st.tokens);
    report["corpus"] = {{"documents", st.documents}, {"wrong", st.wrong}, {"tokens", st.tokens}, {"slip", o.slip}};
  }

  // 2. pretrain
  if (!(o.skip_existing && fs::exists(base + "/model.safetensors"))) {
    std::fprintf(stderr, "[zero] pretraining %s on the corpus (%lld steps of %lld x %lld tokens)\n", o.config.c_str(),
                 (long long)o.pretrain_steps, (long long)o.pretrain_batch, (long long)o.pretrain_seq);
    train::TrainOptions to;
    to.config = o.config;
    to.data = data + "/train.tok";
    to.out = base;
    to.steps = o.pretrain_steps, to.batch = o.pretrain_batch, to.seq = o.pretrain_seq, to.lr = o.pretrain_lr;
    to.seed = o.seed;
    to.threads = o.threads;
    train::Dist dist;
    const double t0 = now_s();
    const auto r = train::run_training(to, dist);
    report["pretrain"] = {{"steps", r.steps_done}, {"loss_first", r.first_loss}, {"loss_last", r.last_loss},
                          {"seconds", now_s() - t0}, {"tokens_per_second", r.tokens_per_second}};
  }

  // 3. evaluate the base
  const auto set = tasks::make_problem_set(*task, tasks::Split::test, size_t(o.eval_problems), o.seed + 1000);
  const EvalResult before = eval_stage("base", base, *task, set, o.eval, o.out + "/eval_base.json");

  // 4. GRPO
  GrpoOptions g = o.grpo;
  g.model = base, g.out = rl, g.task = o.task, g.task_options = o.task_options, g.threads = o.threads;
  g.eval_problems = std::min(g.eval_problems, o.eval_problems);
  std::fprintf(stderr, "[zero] GRPO from the base: %lld steps max, %lld problems x %lld samples per step, %.0f min max\n",
               (long long)g.steps, (long long)g.prompts, (long long)g.group, g.max_minutes);
  const double t_rl = now_s();
  const auto log = run_grpo(g, [&](const json& l) {
    std::fprintf(stderr, "\r[zero] grpo step %lld  reward %.3f  accuracy %.3f  format %.3f  length %.1f  %s %.0f s   ",
                 (long long)l["step"].get<int64_t>() + 1, l["reward"].get<double>(), l["accuracy"].get<double>(),
                 l["format"].get<double>(), l["length"].get<double>(),
                 l.contains("eval_pass1") ? ("held-out pass@1 " + std::to_string(l["eval_pass1"].get<double>()).substr(0, 5)).c_str() : "",
                 now_s() - t_rl);
  });
  std::fputc('\n', stderr);
  report["grpo"] = {{"steps", log.size()}, {"seconds", now_s() - t_rl}};

  // 5. evaluate the RL policy
  const EvalResult after = eval_stage("rl", rl, *task, set, o.eval, o.out + "/eval_rl.json");
  report["eval_base"] = before.to_json();
  report["eval_rl"] = after.to_json();
  report["pass1_gain_points"] = 100 * (after.pass1 - before.pass1);
  report["seconds"] = now_s() - t_all;
  write_file_atomic(o.out + "/report.json", report.dump(1) + "\n");
  std::string md = "# R1-Zero on this machine: " + o.task + "\n\n";
  char hdr[256];
  std::snprintf(hdr, sizeof hdr,
                "%lld held-out problems (test split), %lld samples each at temperature %.2f; GRPO %zu steps in %.1f min.\n\n",
                (long long)set.size(), (long long)o.eval.k, o.eval.temperature, log.size(), (now_s() - t_rl) / 60);
  md += hdr;
  md += "| model | pass@1 | pass@" + std::to_string(o.eval.k) + " | format | mean length | greedy |\n|---|---|---|---|---|---|\n";
  md += row("base (pretrained on noisy solutions)", before);
  md += row("after GRPO (rule-based rewards only)", after);
  md += "\nCurves: rl/grpo_reward.svg, rl/grpo_length.svg; pretraining loss: base/loss.svg.\n";
  write_file_atomic(o.out + "/report.md", md);
  std::fprintf(stderr, "[zero] pass@1 %.1f %% -> %.1f %% (%+.1f points); report in %s/report.md\n", 100 * before.pass1,
               100 * after.pass1, 100 * (after.pass1 - before.pass1), o.out.c_str());
  return report;
}

}  // namespace r1::rl
