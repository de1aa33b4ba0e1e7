#include "train/trainer.h"

#include <cblas.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "autograd/model.h"
#include "autograd/prof.h"
#include "core/error.h"
#include "core/rng.h"
#include "io/file_util.h"
#include "io/safetensors.h"
#include "model/init_checkpoint.h"
#include "train/adamw.h"
#include "train/checkpoint.h"
#include "train/schedule.h"
#include "train/svg_plot.h"
#include "tokenizer/tokenizer.h"
#include "train/token_data.h"

namespace r1::train {

using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

// GPT-2-style initialisation: matrices N(0, 0.02), the residual-output projections (o_proj, down_proj) scaled by
// 1/sqrt(2 n_layers); norm weights 1; the router's balancing bias 0. Deterministic in the seed.
void init_params(ag::ParamSet<float>& ps, uint64_t seed) {
  Rng rng(seed);
  const double out_scale = 1.0 / std::sqrt(2.0 * double(ps.config().n_layers));
  for (const ag::ParamInfo& t : ps.tensors()) {
    float* v = ps.values().data() + t.offset;
    if (t.shape.size() == 1) {
      const float fill = t.name.find("e_score_correction_bias") != std::string::npos ? 0.0f : 1.0f;
      for (int64_t i = 0; i < t.numel; ++i) v[i] = fill;
      continue;
    }
    const bool out = t.name.find("o_proj") != std::string::npos || t.name.find("down_proj") != std::string::npos;
    const double std = 0.02 * (out ? out_scale : 1.0);
    for (int64_t i = 0; i < t.numel; i += 2) {  // Box-Muller: two normals per pair of uniforms
      const double u1 = (double(rng.next() >> 11) + 1.0) * 0x1.0p-53, u2 = double(rng.next() >> 11) * 0x1.0p-53;
      const double r = std::sqrt(-2.0 * std::log(u1));
      v[i] = float(std * r * std::cos(2 * M_PI * u2));
      if (i + 1 < t.numel) v[i + 1] = float(std * r * std::sin(2 * M_PI * u2));
    }
  }
}

// The options a resumed run must share with the run it continues (anything else would not be bit-exact).
json fixed_options(const TrainOptions& o) {
  return {{"data", fs::absolute(o.data).string()}, {"batch", o.batch}, {"seq", o.seq}, {"accum", o.accum},
          {"seed", o.seed}, {"lr", o.lr}, {"min_lr", o.min_lr}, {"warmup", o.warmup}, {"steps", o.steps},
          {"weight_decay", o.weight_decay}, {"clip", o.clip}, {"beta1", o.beta1}, {"beta2", o.beta2},
          {"mtp_weight", o.mtp_weight}, {"bias_gamma", o.bias_gamma}, {"seq_aux_alpha", o.seq_aux_alpha}};
}

std::string model_config_json(const TrainOptions& o, int64_t data_vocab) {
  json j;
  if (!o.config.empty()) {
    j = json::parse(init_config_json(o.config, false));
    j["vocab_size"] = data_vocab;
  } else {
    j = json::parse(read_file(o.init_dir + "/config.json"));
    j.erase("quantization_config");  // FP8 weights are loaded as f32 and trained in f32
  }
  return j.dump(2) + "\n";
}

std::string hms(double s) {
  char b[32];
  const long t = long(s + 0.5);
  std::snprintf(b, sizeof b, "%ld:%02ld:%02ld", t / 3600, (t / 60) % 60, t % 60);
  return b;
}


}  // namespace

std::vector<Segment> param_segments(const ag::ParamSet<float>& ps) {
  std::vector<Segment> s;
  for (const ag::ParamInfo& t : ps.tensors()) s.push_back({t.offset, t.numel, t.shape.size() >= 2, t.trainable});
  return s;
}

std::vector<int64_t> moe_layer_ids(const ModelConfig& c) {
  std::vector<int64_t> ids;
  for (int64_t i = 0; i < c.n_layers; ++i)
    if (c.is_moe_layer(i)) ids.push_back(i);
  return ids;
}

void add_expert_load(const ModelConfig& c, const ag::ModelActs<float>& acts, int64_t* load) {
  const std::vector<int64_t> ids = moe_layer_ids(c);
  const int64_t E = c.n_routed_experts;
  for (size_t l = 0; l < ids.size(); ++l)
    for (int64_t e = 0; e < E; ++e)
      load[int64_t(l) * E + e] += int64_t(acts.layers[size_t(ids[l])].moe.slots[size_t(e)].size());
}

double balance_router_bias(float* bias, const int64_t* load, int64_t E, double gamma) {
  double total = 0, mx = 0;
  for (int64_t e = 0; e < E; ++e) total += double(load[e]), mx = std::max(mx, double(load[e]));
  const double mean = total / double(E);
  if (gamma > 0)
    for (int64_t e = 0; e < E; ++e) {
      const double d = mean - double(load[e]);
      bias[e] += float(gamma * double((d > 0) - (d < 0)));
    }
  return mean > 0 ? mx / mean : 0.0;
}

TrainResult run_training(const TrainOptions& o, const Dist& dist) {
  require(!o.out.empty(), "--out is required");
  const bool resuming = o.resume && fs::exists(o.out + "/trainer_state.json");
  require(resuming || o.config.empty() != o.init_dir.empty(), "give exactly one of --config NAME and --init DIR");
  require(o.steps > 0 && o.batch > 0 && o.seq > 1 && o.accum > 0, "--steps, --batch, --accum must be positive and --seq > 1");
  require(o.lr > 0 && o.clip >= 0 && o.weight_decay >= 0, "--lr must be positive, --clip and --weight-decay not negative");
  require(o.save_dtype == "f32" || o.save_dtype == "bf16", "--save-dtype must be f32 or bf16");
  require(o.seq_aux_alpha >= 0, "--seq-aux-alpha must not be negative");
  TrainOptions opt = o;
  if (opt.min_lr < 0) opt.min_lr = opt.lr / 10;
  if (opt.warmup < 0) opt.warmup = opt.steps / 20;

  const TokenFile data(opt.data);
  const std::string cfg_json = resuming ? read_file(opt.out + "/config.json") : model_config_json(opt, data.vocab_size());
  const ModelConfig c = parse_model_config(cfg_json, resuming ? opt.out + "/config.json" : "model config");
  require(c.attn == AttnKind::MLA, "training supports the DeepSeek architectures (MLA), not " + c.architecture);
  require(c.vocab_size >= data.vocab_size(), opt.data + ": vocab_size " + std::to_string(data.vocab_size()) +
                                                 " exceeds the model's " + std::to_string(c.vocab_size));
  if (opt.bias_gamma > 0 && c.n_routed_experts > 0)
    require(c.topk_method == TopkMethod::NoauxTc,
            "--bias-gamma needs a config with topk_method noaux_tc (the router bias of auxiliary-loss-free "
            "balancing); use --bias-gamma 0 for " + c.architecture);

  ag::ParamSet<float> ps(c);
  AdamW adam(ps.numel(), {opt.beta1, opt.beta2, 1e-8, opt.weight_decay});
  int64_t start = 0;
  double tokens_before = 0, seconds_before = 0;
  if (resuming) {
    json st = load_training_checkpoint(opt.out, ps, adam);
    const json want = fixed_options(opt);
    if (st.contains("options") && !st["options"].contains("seq_aux_alpha"))  // saved before the option existed
      st["options"]["seq_aux_alpha"] = 0.0;
    for (const auto& [k, v] : want.items())
      if (!st.contains("options") || st["options"][k] != v)
        throw Error(opt.out + ": --resume with a different " + k + " (" + v.dump() + ", checkpoint has " +
                    (st.contains("options") ? st["options"].value(k, json()).dump() : "none") + ")");
    start = st["step"].get<int64_t>();
    tokens_before = st.value("tokens", 0.0);
    seconds_before = st.value("seconds", 0.0);
  } else if (!opt.init_dir.empty()) {
    ag::load_params(ps, Checkpoint(opt.init_dir));
  } else {
    init_params(ps, opt.seed);
  }
  const std::vector<Segment> segs = param_segments(ps);
  const LrSchedule sched{opt.lr, opt.min_lr, opt.warmup, opt.steps};
  const BatchLoader loader(data, opt.batch, opt.seq, opt.seed, dist.rank(), dist.world());
  if (opt.threads > 0) openblas_set_num_threads(opt.threads);

  if (dist.root()) {
    fs::create_directories(opt.out);
    tok::copy_tokenizer_files(fs::path(opt.data).parent_path().string(), opt.out);
  }
  const std::string log_path = opt.out + "/" + opt.log_name;
  std::vector<json> log;  // the whole run's log (earlier lines kept on resume, later ones dropped)
  if (resuming && fs::exists(log_path)) {
    std::ifstream in(log_path);
    for (std::string line; std::getline(in, line);)
      if (!line.empty()) {
        json j = json::parse(line, nullptr, false);
        if (!j.is_discarded() && j.value("step", int64_t(1) << 62) < start) log.push_back(j);
      }
  }
  auto save = [&](int64_t step, double tokens, double seconds) {
    if (!dist.root()) return;
    save_model(ps, cfg_json, opt.out, opt.save_dtype == "bf16" ? DType::BF16 : DType::F32, step);
    save_optimizer(adam, opt.out, step);
    std::string text;
    for (const json& j : log) text += j.dump() + "\n";
    write_file_atomic(log_path, text);
    Chart ch{"training loss", "step", "cross-entropy", {{"next token", {}, {}}, {"MTP", {}, {}}}};
    for (const json& j : log) {
      ch.series[0].x.push_back(j["step"].get<double>());
      ch.series[0].y.push_back(j["loss_main"].get<double>());
      if (c.n_mtp_layers > 0) {
        ch.series[1].x.push_back(j["step"].get<double>());
        ch.series[1].y.push_back(j["loss_mtp"].get<double>());
      }
    }
    if (c.n_mtp_layers == 0) ch.series.pop_back();
    write_svg(opt.out + "/loss.svg", ch);
    save_state({{"step", step}, {"tokens", tokens}, {"seconds", seconds}, {"options", fixed_options(opt)}}, opt.out);
  };

  const ag::ModelParams<float> P = ag::bind_params(ps, false), G = ag::bind_params(ps, true);
  ag::ModelActs<float> acts;
  const std::vector<int64_t> moe_layers = moe_layer_ids(c);
  const int64_t E = c.n_routed_experts;
  const double step_tokens = double(opt.batch * opt.seq * opt.accum * dist.world());
  TrainResult res;
  const bool tty = opt.progress && dist.root() && isatty(STDERR_FILENO);
  double tokens = tokens_before;
  const auto t0 = std::chrono::steady_clock::now();
  const int64_t end = opt.stop_after > 0 ? std::min(opt.steps, start + opt.stop_after) : opt.steps;
  for (int64_t step = start; step < end; ++step) {
    const auto ts = std::chrono::steady_clock::now();
    const ag::prof::Scope prof_step("train step");
    ps.zero_grad();
    std::vector<int64_t> load(moe_layers.size() * size_t(E), 0);  // (moe layer, expert) tokens routed
    double sums[4] = {0, 0, 0, 0};                                   // main, mtp, seq_aux, total loss
    for (int64_t a = 0; a < opt.accum; ++a) {
      const Batch b = loader.get(step * opt.accum + a);
      const ag::ModelLoss L = [&] {
        const ag::prof::Scope p("model_forward");
        return ag::model_forward(c, P, acts, b.tokens.data(), b.targets.data(), b.B, b.S, opt.mtp_weight,
                                 opt.seq_aux_alpha);
      }();
      {
        const ag::prof::Scope p("model_backward");
        ag::model_backward(c, P, G, acts, opt.mtp_weight, opt.seq_aux_alpha);
      }
      sums[0] += L.main, sums[1] += L.mtp, sums[2] += L.seq_aux, sums[3] += L.total;
      add_expert_load(c, acts, load.data());
    }
    if (opt.accum > 1)
      for (float& g : ps.grads()) g *= 1.0f / float(opt.accum);
    dist.mean(ps.grads().data(), ps.numel());
    dist.sum(load.data(), int64_t(load.size()));
    dist.sum(sums, 4);
    for (double& s : sums) s /= double(opt.accum * dist.world());
    const double gnorm = [&] {
      const ag::prof::Scope p("clip_grad_norm");
      return clip_grad_norm(ps.grads().data(), segs, opt.clip);
    }();
    const double lr = sched.at(step);
    {
      const ag::prof::Scope p("adamw");
      adam.step(ps.values().data(), ps.grads().data(), segs, lr);
    }
    // Auxiliary-loss-free balancing: b_e += gamma * sign(mean load - load_e), per MoE layer.
    double imbalance = 0;  // max over layers of max_e load / mean load
    for (size_t l = 0; l < moe_layers.size(); ++l) {
      const std::string bias_name = "model.layers." + std::to_string(moe_layers[l]) + ".mlp.gate.e_score_correction_bias";
      float* bias = opt.bias_gamma > 0 ? ps.value(bias_name) : nullptr;
      imbalance = std::max(imbalance, balance_router_bias(bias, &load[l * size_t(E)], E, opt.bias_gamma));
    }
    tokens += step_tokens;
    const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - ts).count();
    const double elapsed = seconds_before + std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    json line = {{"step", step}, {"loss", sums[3]}, {"loss_main", sums[0]}, {"loss_mtp", sums[1]},
                 {"loss_seq_aux", sums[2]}, {"lr", lr},
                 {"grad_norm", gnorm}, {"tokens", tokens}, {"tokens_per_s", step_tokens / dt},
                 {"load_max_over_mean", imbalance}, {"seconds", elapsed}};
    log.push_back(line);
    if (step == start) res.first_loss = sums[3];
    res.last_loss = sums[3];
    if (dist.root() && opt.progress) {
      const int64_t done = step + 1 - start, left = opt.steps - step - 1;
      const double rate = (elapsed - seconds_before) / double(done);
      const int width = 24, fill = int(double(width) * double(step + 1) / double(opt.steps));
      std::fprintf(stderr, "%sstep %lld/%lld [%s%s] loss %.4f%s  %.0f tok/s  ETA %s%s", tty ? "\r" : "",
                   (long long)(step + 1), (long long)opt.steps, std::string(size_t(fill), '#').c_str(),
                   std::string(size_t(width - fill), '.').c_str(), sums[0],
                   c.n_mtp_layers > 0 ? (" (mtp " + std::to_string(sums[1]).substr(0, 6) + ")").c_str() : "",
                   step_tokens / dt, hms(rate * double(left)).c_str(), tty ? "" : "\n");
    }
    if (opt.save_every > 0 && (step + 1) % opt.save_every == 0 && step + 1 < opt.steps) save(step + 1, tokens, elapsed);
    // Crash testing: R1_TRAIN_KILL_AT=N sends this process SIGKILL after step N (no cleanup, like kill -9).
    if (const char* k = std::getenv("R1_TRAIN_KILL_AT"); k && std::atoll(k) == step + 1) std::raise(SIGKILL);
    res.steps_done = step + 1 - start;
  }
  const double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (tty) std::fputc('\n', stderr);
  save(end, tokens, seconds_before + total);
  dist.barrier();
  res.tokens_per_second = res.steps_done > 0 ? step_tokens * double(res.steps_done) / total : 0;
  return res;
}

}  // namespace r1::train
