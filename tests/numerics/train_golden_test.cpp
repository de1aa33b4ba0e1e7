// Training against golden files written by the independent PyTorch reference (tools/reference/train_ref.py,
// float64; regenerate with tools/reference/make_train_golden.sh): the loss parts and every parameter
// tensor's gradient at step 0, then 10 steps of the real trainer pieces (train::AdamW, LrSchedule,
// clip_grad_norm, the auxiliary-loss-free bias rule) on the same batch. Two cases: train_tiny.json without and
// train_tiny_seqaux.json with DeepSeek-V3's sequence-wise balance loss (alpha > 0, its value checked too).
//
// Tolerances (r1 computes in f32, the reference in f64, so the difference is r1's f32 rounding):
// - Losses: |Δ| ≤ 1e-4 · |ref| (the issue's bound).
// - Gradients: per tensor, |Δ norm| ≤ 1e-4 · ref norm, and every sampled value |Δ g_i| ≤ 1e-4 · max_i |ref g_i|
//   of that tensor (relative to the tensor's max-abs: an entry near 0 has no meaningful relative error).
//   Where the bound comes from: each reduction of length K in f32 contributes about sqrt(K) · u relative
//   error (u = 2^-24 ≈ 6e-8, random-walk rounding), K ≤ 384 here, so ≈ 1.2e-6 per op; a weight gradient
//   sits behind ≈ 60 such ops (3 blocks + MTP block, forward and backward), and independent errors add in
//   quadrature: sqrt(60) · 1.2e-6 ≈ 1e-5. 1e-4 leaves a factor 10 for correlated errors and cancellation.
// - AdamW steps: the reference (train_ref.py AdamW.step) bounds, per element, how far weights may drift when
//   every step's gradient differs from its own by at most ε = 1e-4 of the tensor's max-abs (the bound above):
//   the update ratio m̂ / sqrt(v̂) moves by at most ε A (1 + |ratio|) / sqrt(v̂) (A = the tensor's running max
//   |g|; m̂ and v̂ are averages with weights summing to 1 after bias correction), capped at 2 max|ratio|, so
//     |Δw_i| ≤ drift_i = Σ_t lr_t · min(ε A_t (1 + |r_it|) / sqrt(v̂_it), 2 r_max,t),
//   plus r1's own f32 rounding of 10 updates, ≤ 20 u (|w| + 0.01) with u = 2^-24 (each step rounds w, the decay
//   and the update a few times; lr · |ratio| ≤ 1e-3 · 1.01). Checked on the sampled elements of every tensor
//   (the 4 largest-gradient ones get drifts near 1e-6, far below a missing decay or a wrong schedule).
//   Router biases after 10 sign-rule updates of ±1e-3: equal within 1e-7 (10 f32 additions of numbers ≤ 1e-2);
//   a flipped expert selection would change a load and the bias by 2e-3.
//   Step s's loss: 1e-4 |L_s| (forward rounding) + Σ_i |g_i| drift_i (first order, "drift_loss" of the
//   reference). This last bound is loose (~1e-2: small-gradient elements may flip their update's sign), so the
//   weights carry the optimizer check. All of it assumes the same expert selection as the reference; the
//   reference records the smallest top-k selection margin (2.6e-5 here, ≫ the ~1e-7 score differences).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <ostream>
#include <regex>

#include "autograd/model.h"
#include "autograd/param_set.h"
#include "io/safetensors.h"
#include "model/init_checkpoint.h"
#include "testutil.h"
#include "train/adamw.h"
#include "train/schedule.h"
#include "train/trainer.h"

namespace r1 {
namespace {

using json = nlohmann::json;
constexpr double kRelTol = 1e-4;

struct Case {
  std::string golden;  // file in tests/golden
  InitOptions init;    // without .out; same as make_train_golden.sh
};
void PrintTo(const Case& c, std::ostream* os) { *os << c.golden; }

// make_train_golden.sh: r1 init --config train-tiny --dtype f32 --seed 7, then the reference with and without
// --seq-aux-alpha.
const Case kCases[] = {{"train_tiny.json", InitOptions{"train-tiny", "", 7, false, 1, "f32"}},
                       {"train_tiny_seqaux.json", InitOptions{"train-tiny", "", 7, false, 1, "f32"}}};

// "model.layers.4.mlp.experts.3.up_proj.weight" -> "mtp:mlp.experts.*.up_proj.weight" (layer 4 >= n_layers)
std::string tensor_class(const std::string& name, int64_t n_layers) {
  static const std::regex layer(R"(^model\.layers\.(\d+)\.(.*)$)"), expert(R"(experts\.\d+\.)");
  std::smatch m;
  std::string cls = name;
  if (std::regex_match(name, m, layer)) cls = (std::stoll(m[1]) >= n_layers ? "mtp:" : "") + m[2].str();
  return std::regex_replace(cls, expert, "experts.*.");
}

class TrainGolden : public ::testing::TestWithParam<Case> {
 protected:
  void SetUp() override {
    c_ = GetParam();
    g_ = json::parse(test::read_text(std::string(R1_GOLDEN_DIR) + "/" + c_.golden));
    InitOptions o = c_.init;
    o.out = dir_.path();
    init_checkpoint(o);
    const Checkpoint ck(dir_.path());
    cfg_ = parse_model_config(test::read_text(dir_ / "config.json"), "config.json");
    ps_ = std::make_unique<ag::ParamSet<float>>(cfg_);
    ag::load_params(*ps_, ck);
    B_ = g_["batch"].get<int64_t>();
    S_ = g_["seq"].get<int64_t>();
    for (const auto& row : g_["tokens"]) for (const auto& t : row) tokens_.push_back(t.get<int32_t>());
    for (const auto& row : g_["targets"]) for (const auto& t : row) targets_.push_back(t.get<int32_t>());
    ASSERT_EQ(int64_t(tokens_.size()), B_ * S_);
    ASSERT_EQ(int64_t(targets_.size()), B_ * S_);
    mtp_weight_ = g_["mtp_weight"].get<double>();
    seq_aux_alpha_ = g_.value("seq_aux_alpha", 0.0);
  }

  test::TempDir dir_;
  Case c_;
  json g_;
  ModelConfig cfg_;
  std::unique_ptr<ag::ParamSet<float>> ps_;
  int64_t B_ = 0, S_ = 0;
  std::vector<int32_t> tokens_, targets_;
  double mtp_weight_ = 0, seq_aux_alpha_ = 0;
};

TEST_P(TrainGolden, LossAndEveryGradientMatchReference) {
  ASSERT_NE(std::count(targets_.begin(), targets_.end(), -100), 0) << "the batch should exercise ignore_index";
  ag::ParamSet<float>& ps = *ps_;
  const ag::ModelParams<float> P = ag::bind_params(ps, false), G = ag::bind_params(ps, true);
  ag::ModelActs<float> acts;
  ps.zero_grad();
  const ag::ModelLoss L =
      ag::model_forward(cfg_, P, acts, tokens_.data(), targets_.data(), B_, S_, mtp_weight_, seq_aux_alpha_);
  ag::model_backward(cfg_, P, G, acts, mtp_weight_, seq_aux_alpha_);

  const json& gl = g_["loss"];
  std::map<std::string, double> worst;  // tensor class -> max relative error
  auto loss_check = [&](const char* what, double got, double ref) {
    const double e = std::fabs(got - ref) / std::fabs(ref);
    EXPECT_LE(e, kRelTol) << what << ": r1 " << got << ", reference " << ref;
    worst[std::string("loss ") + what] = e;
  };
  loss_check("main", L.main, gl["main"].get<double>());
  loss_check("mtp", L.mtp, gl["mtp"].get<double>());
  if (gl.contains("seq_aux")) loss_check("seq_aux", L.seq_aux, gl["seq_aux"].get<double>());
  else EXPECT_EQ(seq_aux_alpha_, 0.0) << "the golden file lacks the balance loss its alpha asks for";
  loss_check("total", L.total, gl["total"].get<double>());

  // Every trainable tensor of the ParamSet is in the golden file and vice versa.
  const json& grads = g_["grads"];
  int64_t checked = 0;
  for (const ag::ParamInfo& t : ps.tensors()) {
    SCOPED_TRACE(t.name);
    if (!t.trainable) {
      EXPECT_FALSE(grads.contains(t.name)) << "a non-trainable tensor has a reference gradient";
      continue;
    }
    ASSERT_TRUE(grads.contains(t.name)) << "no reference gradient";
    const json& r = grads[t.name];
    EXPECT_EQ(r["shape"].get<std::vector<int64_t>>(), t.shape);
    const float* g = ps.grads().data() + t.offset;
    double sq = 0;
    for (int64_t i = 0; i < t.numel; ++i) sq += double(g[i]) * double(g[i]);
    const double norm = std::sqrt(sq), ref_norm = r["norm"].get<double>(), amax = r["max_abs"].get<double>();
    ASSERT_GT(ref_norm, 0.0) << "reference gradient is zero: the batch does not reach this tensor";
    double e = std::fabs(norm - ref_norm) / ref_norm;
    EXPECT_LE(e, kRelTol) << "gradient norm: r1 " << norm << ", reference " << ref_norm;
    const auto idx = r["index"].get<std::vector<int64_t>>();
    const auto val = r["value"].get<std::vector<double>>();
    ASSERT_EQ(idx.size(), val.size());
    ASSERT_GE(idx.size(), size_t(std::min<int64_t>(t.numel, 16)));
    for (size_t k = 0; k < idx.size(); ++k) {
      ASSERT_LT(idx[k], t.numel);
      const double ek = std::fabs(double(g[idx[k]]) - val[k]) / amax;
      EXPECT_LE(ek, kRelTol) << "gradient[" << idx[k] << "]: r1 " << g[idx[k]] << ", reference " << val[k]
                             << " (tensor max-abs " << amax << ")";
      e = std::max(e, ek);
    }
    double& w = worst[tensor_class(t.name, cfg_.n_layers)];
    w = std::max(w, e);
    ++checked;
  }
  EXPECT_EQ(size_t(checked), grads.size()) << "the golden file has tensors r1's ParamSet does not";
  std::printf("max relative error per tensor class (losses: /|ref|; gradients: norm /ref norm, values /max-abs):\n");
  for (const auto& [k, v] : worst) std::printf("  %-44s %.2e\n", k.c_str(), v);
}

TEST_P(TrainGolden, TenAdamWStepsMatchReference) {
  ag::ParamSet<float>& ps = *ps_;
  const json& o = g_["optimizer"];
  train::AdamW adam(ps.numel(), {o["beta1"].get<double>(), o["beta2"].get<double>(), o["eps"].get<double>(),
                                 o["weight_decay"].get<double>()});
  const train::LrSchedule sched{o["lr"].get<double>(), o["min_lr"].get<double>(), o["warmup"].get<int64_t>(),
                                o["total"].get<int64_t>()};
  const double clip = o["clip"].get<double>(), gamma = o["bias_gamma"].get<double>();
  const std::vector<train::Segment> segs = train::param_segments(ps);
  const std::vector<int64_t> moe = train::moe_layer_ids(cfg_);
  const int64_t E = cfg_.n_routed_experts;
  const ag::ModelParams<float> P = ag::bind_params(ps, false), G = ag::bind_params(ps, true);
  ag::ModelActs<float> acts;
  const json& steps = g_["steps"];
  ASSERT_EQ(steps.size(), 10u);
  double worst = 0, worst_bound = 0;
  for (int64_t s = 0; s < int64_t(steps.size()); ++s) {
    SCOPED_TRACE("step " + std::to_string(s));
    const json& r = steps[size_t(s)];
    ps.zero_grad();
    const ag::ModelLoss L =
        ag::model_forward(cfg_, P, acts, tokens_.data(), targets_.data(), B_, S_, mtp_weight_, seq_aux_alpha_);
    ag::model_backward(cfg_, P, G, acts, mtp_weight_, seq_aux_alpha_);
    std::vector<int64_t> load(moe.size() * size_t(E), 0);
    train::add_expert_load(cfg_, acts, load.data());
    const double ref = r["total"].get<double>();
    const double bound = kRelTol * std::fabs(ref) + r["drift_loss"].get<double>();
    EXPECT_NEAR(L.total, ref, bound);
    worst = std::max(worst, std::fabs(L.total - ref) / std::fabs(ref));
    worst_bound = std::max(worst_bound, bound / std::fabs(ref));
    const double gnorm = train::clip_grad_norm(ps.grads().data(), segs, clip);
    EXPECT_GT(gnorm, clip) << "the golden run should exercise clipping";
    const double lr = sched.at(s);
    EXPECT_DOUBLE_EQ(lr, r["lr"].get<double>());
    adam.step(ps.values().data(), ps.grads().data(), segs, lr);
    for (size_t l = 0; l < moe.size(); ++l)
      train::balance_router_bias(
          ps.value("model.layers." + std::to_string(moe[l]) + ".mlp.gate.e_score_correction_bias"),
          &load[l * size_t(E)], E, gamma);
  }
  EXPECT_LT(steps.back()["total"].get<double>(), steps.front()["total"].get<double>()) << "training should learn";

  // Weights after the steps.
  constexpr double u = 0x1.0p-24;
  double worst_w = 0, worst_b = 0;  // |Δw| / (drift + rounding allowance); max |Δ bias|
  int64_t n_checked = 0, n_bias = 0;
  for (const ag::ParamInfo& t : ps.tensors()) {
    SCOPED_TRACE(t.name);
    ASSERT_TRUE(g_["after"].contains(t.name));
    const json& a = g_["after"][t.name];
    const auto idx = a["index"].get<std::vector<int64_t>>();
    const auto val = a["value"].get<std::vector<double>>();
    const float* w = ps.values().data() + t.offset;
    if (!t.trainable) {  // the router bias: moved only by the balancing rule
      ASSERT_EQ(int64_t(idx.size()), t.numel);
      for (size_t k = 0; k < idx.size(); ++k) {
        EXPECT_NEAR(w[idx[k]], val[k], 1e-7) << "bias[" << idx[k] << "]";
        worst_b = std::max(worst_b, std::fabs(double(w[idx[k]]) - val[k]));
        ++n_bias;
      }
      continue;
    }
    const auto drift = a["drift"].get<std::vector<double>>();
    for (size_t k = 0; k < idx.size(); ++k) {
      const double tol = drift[k] + 20 * u * (std::fabs(val[k]) + 0.01);
      const double d = std::fabs(double(w[idx[k]]) - val[k]);
      EXPECT_LE(d, tol) << "weight[" << idx[k] << "] after 10 steps: r1 " << w[idx[k]] << ", reference " << val[k];
      worst_w = std::max(worst_w, d / tol);
      ++n_checked;
    }
  }
  EXPECT_GT(n_bias, 0);
  std::printf("10 AdamW steps: max |Δ loss| / |ref| = %.2e (largest bound %.2e); %lld sampled weights, max |Δw| / "
              "bound = %.2e; %lld router biases, max |Δ| = %.1e\n",
              worst, worst_bound, (long long)n_checked, worst_w, (long long)n_bias, worst_b);
}

INSTANTIATE_TEST_SUITE_P(Cases, TrainGolden, ::testing::ValuesIn(kCases), [](const auto& info) {
  return info.param.golden == "train_tiny.json" ? std::string("Plain") : std::string("SeqAux");
});

}  // namespace
}  // namespace r1
