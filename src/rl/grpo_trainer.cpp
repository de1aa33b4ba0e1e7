#include "rl/grpo_trainer.h"

#include <cblas.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>

#include "autograd/loss.h"
#include "autograd/model.h"
#include "core/error.h"
#include "io/file_util.h"
#include "io/safetensors.h"
#include "rl/evaluate.h"
#include "rl/rollout.h"
#include "tasks/registry.h"
#include "tasks/split.h"
#include "train/adamw.h"
#include "train/checkpoint.h"
#include "train/schedule.h"
#include "train/svg_plot.h"

namespace r1::rl {

using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

std::string policy_config(const std::string& model_dir) {
  json j = json::parse(read_file(model_dir + "/config.json"));
  j.erase("quantization_config");  // trained and written in f32
  return j.dump(2) + "\n";
}


// A training batch of kept completions: (B, S) tokens = prompt + completion (padded), targets = the next token on
// completion positions only (everything else ignored), and where each completion token's log-prob sits.
struct PolicyBatch {
  int64_t B = 0, S = 0;
  std::vector<int32_t> tokens, targets;
  std::vector<size_t> offsets;      // (n_seq + 1) into the flat completion-token order
  std::vector<int64_t> flat_pos;    // (n_tokens) index b * S + s of each completion token's prediction
};

PolicyBatch make_batch(const std::vector<std::vector<int32_t>>& prompts, const std::vector<const Rollout*>& seqs,
                       int32_t pad) {
  PolicyBatch b;
  b.B = int64_t(seqs.size());
  for (const Rollout* r : seqs)
    b.S = std::max(b.S, int64_t(prompts[size_t(r->problem)].size() + r->tokens.size()) - 1);
  b.tokens.assign(size_t(b.B * b.S), pad);
  b.targets.assign(size_t(b.B * b.S), ag::kIgnoreIndex);
  b.offsets.push_back(0);
  for (int64_t i = 0; i < b.B; ++i) {
    const auto& pr = prompts[size_t(seqs[size_t(i)]->problem)];
    const auto& co = seqs[size_t(i)]->tokens;
    std::vector<int32_t> all(pr);
    all.insert(all.end(), co.begin(), co.end());
    for (int64_t s = 0; s + 1 < int64_t(all.size()); ++s) b.tokens[size_t(i * b.S + s)] = all[size_t(s)];
    for (size_t k = 0; k < co.size(); ++k) {  // completion token k is predicted at position |prompt| - 1 + k
      const int64_t s = int64_t(pr.size()) - 1 + int64_t(k);
      b.targets[size_t(i * b.S + s)] = co[k];
      b.flat_pos.push_back(i * b.S + s);
    }
    b.offsets.push_back(b.flat_pos.size());
  }
  return b;
}

std::vector<double> logps(const ModelConfig& c, const ag::ModelParams<float>& P, ag::ModelActs<float>& acts,
                          const PolicyBatch& b) {
  acts.row_weights.assign(size_t(b.B * b.S), 0.0f);
  ag::model_forward(c, P, acts, b.tokens.data(), b.targets.data(), b.B, b.S, 0.0);
  std::vector<double> out;
  out.reserve(b.flat_pos.size());
  for (int64_t p : b.flat_pos) out.push_back(double(acts.target_logp[size_t(p)]));
  return out;
}

void write_plots(const std::vector<json>& log, const std::string& out) {
  train::Chart r{"GRPO: reward and accuracy of the sampled groups", "step", "mean over samples",
                 {{"reward", {}, {}}, {"accuracy", {}, {}}, {"format", {}, {}}, {"held-out pass@1", {}, {}}}};
  train::Chart l{"GRPO: completion length", "step", "tokens", {{"mean completion length", {}, {}}}};
  for (const json& j : log) {
    const double s = j["step"].get<double>();
    r.series[0].x.push_back(s), r.series[0].y.push_back(j["reward"].get<double>());
    r.series[1].x.push_back(s), r.series[1].y.push_back(j["accuracy"].get<double>());
    r.series[2].x.push_back(s), r.series[2].y.push_back(j["format"].get<double>());
    if (j.contains("eval_pass1")) r.series[3].x.push_back(s), r.series[3].y.push_back(j["eval_pass1"].get<double>());
    l.series[0].x.push_back(s), l.series[0].y.push_back(j["length"].get<double>());
  }
  if (r.series[3].x.empty()) r.series.pop_back();
  train::write_svg(out + "/grpo_reward.svg", r);
  train::write_svg(out + "/grpo_length.svg", l);
}

}  // namespace

std::vector<json> run_grpo(const GrpoOptions& o, const std::function<void(const json&)>& on_step) {
  require(!o.model.empty() && !o.out.empty(), "grpo: --model and --out are required");
  require(o.steps > 0 && o.prompts > 0 && o.group >= 2 && o.max_tokens > 0 && o.mu > 0,
          "grpo: --steps, --prompts, --max-tokens, --mu must be positive and --group at least 2");
  require(fs::absolute(o.model) != fs::absolute(o.out), "grpo: --out must differ from --model");
  const std::string cfg_json = policy_config(o.model);
  const ModelConfig c = parse_model_config(cfg_json, o.model + "/config.json");
  const tok::Tokenizer t(o.model);
  require(t.eos_id() >= 0 && t.bos_id() >= 0, o.model + ": the tokenizer needs BOS and EOS tokens");
  const auto task = tasks::make_task(o.task, tasks::parse_task_options(o.task_options));
  GrpoLossParams lp = o.loss;
  if (lp.aggregation == Aggregation::constant_norm && lp.max_len == 0) lp.max_len = size_t(o.max_tokens);

  ag::ParamSet<float> ps(c);
  ag::load_params(ps, Checkpoint(o.model));
  std::unique_ptr<ag::ParamSet<float>> ref;
  if (lp.beta > 0) ref = std::make_unique<ag::ParamSet<float>>(ps);
  std::vector<train::Segment> segs;
  for (const auto& ti : ps.tensors()) segs.push_back({ti.offset, ti.numel, ti.shape.size() >= 2, ti.trainable});
  train::AdamW adam(ps.numel(), {0.9, 0.99, 1e-8, o.weight_decay});
  if (o.threads > 0) openblas_set_num_threads(o.threads);
  fs::create_directories(o.out);
  tok::copy_tokenizer_files(o.model, o.out);
  write_file_atomic(o.out + "/task.json", json{{"task", o.task}, {"task_options", o.task_options}}.dump() + "\n");
  const std::string policy_dir = o.out + "/.policy";

  ag::ModelParams<float> P = ag::bind_params(ps, false), G = ag::bind_params(ps, true);
  P.mtp.clear(), G.mtp.clear();  // the MTP modules are not part of the policy's objective
  ag::ModelParams<float> R;
  if (ref) R = ag::bind_params(*ref, false), R.mtp.clear();
  ag::ModelActs<float> acts, ref_acts;
  const train::LrSchedule sched{o.lr, o.lr * o.min_lr_ratio, 0, o.steps};
  Rng prng(o.seed * 0x9E3779B97F4A7C15ull + 17);
  std::vector<tasks::Problem> eval_set;
  if (o.eval_every > 0) eval_set = tasks::make_problem_set(*task, tasks::Split::test, size_t(o.eval_problems), o.seed + 1);

  std::vector<json> log;
  const auto t0 = std::chrono::steady_clock::now();
  const bool tty = o.progress && isatty(STDERR_FILENO);
  for (int64_t step = 0; step < o.steps; ++step) {
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (o.max_minutes > 0 && elapsed > o.max_minutes * 60) break;
    train::save_model(ps, cfg_json, policy_dir, DType::F32, step);
    tok::copy_tokenizer_files(o.model, policy_dir);
    const Model m(policy_dir);
    std::vector<tasks::Problem> problems;
    for (int64_t i = 0; i < o.prompts; ++i) problems.push_back(tasks::sample_split(*task, prng, tasks::Split::train));
    BatchSampleParams sp;
    sp.n = o.group;
    sp.max_tokens = o.max_tokens;
    sp.temperature = o.temperature;
    sp.seed = o.seed * 1000003ull + uint64_t(step);
    const std::vector<Rollout> rs = rollout(m, t, *task, problems, sp);
    std::vector<double> rewards;
    std::vector<uint8_t> truncated;
    json line = {{"step", step}};
    double acc = 0, fmt = 0, len = 0;
    for (const Rollout& r : rs) {
      rewards.push_back(r.reward.total);
      truncated.push_back(r.finished ? 0 : 1);
      acc += r.reward.accuracy, fmt += r.reward.format, len += double(r.tokens.size());
    }
    const double n = double(rs.size());
    line["reward"] = std::accumulate(rewards.begin(), rewards.end(), 0.0) / n;
    line["accuracy"] = acc / n, line["format"] = fmt / n, line["length"] = len / n;
    const GroupAdvantages adv = compute_group_advantages(rewards, size_t(o.group), truncated, o.adv);
    line["groups_kept"] = adv.groups_kept, line["groups_dropped"] = adv.groups_dropped;
    std::vector<const Rollout*> kept;
    std::vector<double> kept_adv;
    for (size_t i = 0; i < rs.size(); ++i)
      if (adv.keep[i] && !rs[i].tokens.empty()) kept.push_back(&rs[i]), kept_adv.push_back(adv.advantages[i]);
    double loss = 0, clipf = 0, kl = 0;
    if (!kept.empty()) {
      std::vector<std::vector<int32_t>> prompts;
      for (const auto& p : problems) prompts.push_back(prompt_ids(t, p));
      const PolicyBatch b = make_batch(prompts, kept, t.eos_id());
      std::vector<double> lp_old = logps(c, P, acts, b), lp_ref;
      if (ref) lp_ref = logps(c, R, ref_acts, b);
      for (int64_t it = 0; it < o.mu; ++it) {
        const std::vector<double> lp_new = it == 0 ? lp_old : logps(c, P, acts, b);
        GrpoBatch gb{lp_new, lp_old, lp_ref, b.offsets, kept_adv, {}};
        const GrpoLossResult res = grpo_loss(gb, lp);
        // sum_t w_t * -logp_t has gradient -w_t: w_t = -d loss / d logp_t.
        std::fill(acts.row_weights.begin(), acts.row_weights.end(), 0.0f);
        for (size_t k = 0; k < b.flat_pos.size(); ++k) acts.row_weights[size_t(b.flat_pos[k])] = float(-res.grad[k]);
        ps.zero_grad();
        ag::model_backward(c, P, G, acts, 0.0);
        train::clip_grad_norm(ps.grads().data(), segs, o.clip);
        adam.step(ps.values().data(), ps.grads().data(), segs, sched.at(step));
        loss = res.loss, clipf = res.stats.clip_fraction, kl = res.stats.mean_kl;
      }
    }
    line["loss"] = loss, line["clip_fraction"] = clipf, line["kl"] = kl;
    if (o.eval_every > 0 && (step % o.eval_every == 0 || step + 1 == o.steps)) {
      EvalParams ep;
      ep.k = 4, ep.max_tokens = o.max_tokens, ep.seed = 7, ep.greedy = false, ep.temperature = o.temperature;
      line["eval_pass1"] = evaluate(m, t, *task, eval_set, ep).pass1;
    }
    line["seconds"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    log.push_back(line);
    if (on_step) on_step(line);
    if (o.progress && !on_step)
      std::fprintf(stderr, "%sgrpo step %lld/%lld  reward %.3f  accuracy %.3f  format %.3f  length %.1f  kept %lld/%lld%s",
                   tty ? "\r" : "", (long long)step + 1, (long long)o.steps, line["reward"].get<double>(), acc / n,
                   fmt / n, len / n, (long long)adv.groups_kept, (long long)(adv.groups_kept + adv.groups_dropped),
                   tty ? "" : "\n");
  }
  if (tty && !on_step) std::fputc('\n', stderr);
  train::save_model(ps, cfg_json, o.out, DType::F32, int64_t(log.size()));
  std::string text;
  for (const json& j : log) text += j.dump() + "\n";
  write_file_atomic(o.out + "/grpo_log.jsonl", text);
  write_plots(log, o.out);
  fs::remove_all(policy_dir);
  return log;
}

}  // namespace r1::rl
