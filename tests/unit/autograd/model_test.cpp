// The whole training model: parameter naming, f32 forward vs the inference Model on r1 init checkpoints,
// and a double-precision finite-difference check of every parameter tensor (a few entries each, every entry
// of the embedding rows the inputs use) through main loss + MTP loss.
#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "autograd/loss.h"
#include "autograd/model.h"
#include "core/error.h"
#include "gradcheck.h"
#include "io/hf_names.h"
#include "model/transformer.h"
#include "runtime/kv_cache.h"
#include "test_configs.h"
#include "testutil.h"

namespace r1::ag {
namespace {

TEST(AutogradParamSet, HuggingFaceNamesAndSharedMtpTables) {
  ModelConfig c = test::tiny_config(true);
  c.n_mtp_layers = 1;
  const ParamSet<float> ps(c);
  std::set<std::string> names;
  for (const ParamInfo& t : ps.tensors()) {
    EXPECT_FALSE(our_name(t.name).empty()) << t.name;
    names.insert(t.name);
    EXPECT_EQ(t.trainable, t.name.find("e_score_correction_bias") == std::string::npos) << t.name;
  }
  EXPECT_EQ(names.size(), ps.tensors().size());
  EXPECT_TRUE(names.count("model.embed_tokens.weight"));
  EXPECT_TRUE(names.count("lm_head.weight"));
  EXPECT_TRUE(names.count("model.layers.0.mlp.gate_proj.weight"));       // dense first layer
  EXPECT_TRUE(names.count("model.layers.1.mlp.experts.7.up_proj.weight"));
  EXPECT_TRUE(names.count("model.layers.2.eh_proj.weight"));             // MTP module = layer n_layers
  EXPECT_TRUE(names.count("model.layers.2.shared_head.norm.weight"));
  EXPECT_TRUE(names.count("model.layers.2.mlp.gate.e_score_correction_bias"));
  EXPECT_FALSE(names.count("model.layers.2.embed_tokens.weight"));       // shared with the main model
  EXPECT_FALSE(names.count("model.layers.2.shared_head.head.weight"));
  EXPECT_EQ(ps.info("model.layers.2.eh_proj.weight").shape, (std::vector<int64_t>{c.dim, 2 * c.dim}));
  int64_t total = 0;
  for (const ParamInfo& t : ps.tensors()) total += t.numel;
  EXPECT_EQ(total, ps.numel());
  EXPECT_THROW(ps.info("model.layers.0.self_attn.q_proj.weight"), Error);  // q-LoRA config has no wq
}

// f32 training forward vs inference on the same checkpoint (bf16 or fp8 weights, loaded as f32).
// Bound: 1e-5 in max|Δ| / max|ref|; both sides are f32 on identical weights, so only summation order differs.
TEST(AutogradModel, ForwardMatchesInferenceLogits) {
  for (const r1::test::Variant& v : r1::test::golden_variants()) {
    if (parse_model_config(init_config_json(v.init.config, false), v.name).attn != AttnKind::MLA) continue;  // GQA: inference only
    SCOPED_TRACE(v.name);
    r1::test::TempDir dir;
    InitOptions o = v.init;
    o.out = dir.path();
    init_checkpoint(o);
    const Model m(dir.path());
    const ModelConfig& c = m.config();
    const int64_t S = 13;
    std::vector<int32_t> toks(static_cast<size_t>(S));
    Rng rng(31);
    for (auto& t : toks) t = int32_t(rng.next() % uint64_t(c.vocab_size));
    LatentKVCache cache(c, S);
    std::vector<float> ref(size_t(S * c.vocab_size)), last(static_cast<size_t>(c.vocab_size));
    m.forward(toks.data(), S, 0, cache, last.data(), AttnMode::Naive, ref.data());

    ParamSet<float> ps(c);
    load_params(ps, m.checkpoint());
    const ModelParams<float> p = bind_params(ps, false);
    ModelActs<float> acts;
    model_forward(c, p, acts, toks.data(), nullptr, 1, S, 0.0);
    double num = 0.0, den = 0.0;
    for (size_t i = 0; i < ref.size(); ++i) {
      num = std::max(num, std::fabs(double(acts.logits[i]) - double(ref[i])));
      den = std::max(den, std::fabs(double(ref[i])));
    }
    std::printf("[inference match] %-8s max|d|/max|ref| = %.2e\n", v.name.c_str(), num / den);
    EXPECT_LE(num / den, 1e-5);
  }
}

// Random parameters: norm weights around 1, router bias small, matrices uniform in +-0.5.
void randomize(ParamSet<double>& ps, Rng& rng) {
  for (const ParamInfo& t : ps.tensors()) {
    const bool norm = t.shape.size() == 1 && t.trainable;
    for (int64_t i = 0; i < t.numel; ++i) {
      const double u = double(rng.symmetric(1.0f));
      ps.values()[size_t(t.offset + i)] = norm ? 1.0 + 0.3 * u : (t.trainable ? 0.5 * u : 0.2 * u);
    }
  }
}

void run_model_check(const ModelConfig& c, const std::string& tag, uint64_t seed, double seq_aux_alpha = 0.0) {
  const int64_t B = 2, S = 6;
  const double mtp_weight = 0.3;
  Rng rng(seed);
  ParamSet<double> ps(c);
  randomize(ps, rng);
  const ModelParams<double> p = bind_params(ps, false), g = bind_params(ps, true);
  std::vector<int32_t> tokens(size_t(B * S)), targets(size_t(B * S));
  for (auto& t : tokens) t = int32_t(rng.next() % uint64_t(c.vocab_size));
  for (int64_t i = 0; i < B * S; ++i) targets[size_t(i)] = i % S == S - 1 ? tokens[size_t(i - S + 1)] : tokens[size_t(i + 1)];
  targets[3] = kIgnoreIndex;  // ignored by the main loss at (0, 3) and by MTP depth 1 at (0, 2)
  ModelActs<double> acts;
  std::vector<std::vector<int32_t>> routing0;
  auto routing = [&] {
    std::vector<std::vector<int32_t>> r;
    for (const auto& l : acts.layers) r.push_back(l.moe.idx);
    for (const auto& m : acts.mtp) r.push_back(m.block.moe.idx);
    return r;
  };
  auto loss = [&] {
    const ModelLoss l = model_forward(c, p, acts, tokens.data(), targets.data(), B, S, mtp_weight, seq_aux_alpha);
    EXPECT_TRUE(routing0.empty() || routing() == routing0) << "routing changed under a finite-difference step";
    return l.total;
  };
  const ModelLoss l0 = model_forward(c, p, acts, tokens.data(), targets.data(), B, S, mtp_weight, seq_aux_alpha);
  EXPECT_GT(l0.main, 0.0);
  if (c.n_mtp_layers > 0) {
    EXPECT_GT(l0.mtp, 0.0);
  }
  EXPECT_GT(l0.seq_aux, 0.0);  // a P-weighted mean of f (mean 1) per MoE layer
  EXPECT_NEAR(l0.total, l0.main + mtp_weight * l0.mtp + seq_aux_alpha * l0.seq_aux, 1e-12);
  routing0 = routing();
  ps.zero_grad();
  model_backward(c, p, g, acts, mtp_weight, seq_aux_alpha);

  std::set<int32_t> used(tokens.begin(), tokens.end());
  for (const ParamInfo& t : ps.tensors()) {
    double* val = ps.value(t.name);
    const double* grad = ps.grad(t.name);
    if (!t.trainable) {
      for (int64_t i = 0; i < t.numel; ++i) EXPECT_EQ(grad[i], 0.0) << t.name;
      continue;
    }
    std::vector<int64_t> idx = test::pick(rng, t.numel, 3);
    if (t.name == "model.embed_tokens.weight")  // every input: all entries of the rows the tokens use
      for (int32_t tok : used)
        for (int64_t d = 0; d < c.dim; ++d) idx.push_back(int64_t(tok) * c.dim + d);
    const bool expert = t.name.find(".mlp.experts.") != std::string::npos;
    test::check_grad(tag + t.name, val, grad, t.numel, loss, idx, expert);
  }
}

TEST(AutogradModel, FiniteDifferencesQLoraSigmoidTwoMtpDepths) {
  ModelConfig c = test::tiny_config(true, test::Router::SigmoidNoauxTc);
  c.n_mtp_layers = 2;  // exercises h^1 -> depth 2 chaining
  run_model_check(c, "model(v3)/", 41);
}

TEST(AutogradModel, FiniteDifferencesWithSequenceWiseBalanceLoss) {
  ModelConfig c = test::tiny_config(true, test::Router::SigmoidNoauxTc);
  c.n_layers = 3;  // two MoE layers: their balance losses add up
  c.n_mtp_layers = 1;
  run_model_check(c, "model(v3,seq_aux)/", 43, 0.4);
}

TEST(AutogradModel, FiniteDifferencesPlainWqSoftmaxGroupsTiedEmbeddings) {
  ModelConfig c = test::tiny_config(false, test::Router::SoftmaxGroupLimited, false);
  c.tie_word_embeddings = true;  // head = embed: both gradients land in one tensor
  c.n_mtp_layers = 1;
  run_model_check(c, "model(v2,tied)/", 42);
}

}  // namespace
}  // namespace r1::ag
