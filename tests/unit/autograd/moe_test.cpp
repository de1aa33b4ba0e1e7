// MoE router and layer: selection identical to inference's moe_route, gradients through the chosen weights
// (softmax / sigmoid scores, greedy / group-limited / noaux_tc selection, with and without renormalisation),
// and with the sequence-wise balance loss (moe_balance.h) added to the layer's loss.
#include <gtest/gtest.h>

#include "autograd/moe.h"
#include "autograd/moe_balance.h"
#include "gradcheck.h"
#include "model/moe_gate.h"
#include "test_configs.h"

namespace r1::ag {
namespace {

using test::check_grad;
using test::random_vec;
using test::Router;
using V = std::vector<double>;

struct Case {
  const char* name;
  Router router;
  bool norm_topk_prob;
};
const Case kCases[] = {
    {"softmax_greedy", Router::SoftmaxGreedy, false},
    {"softmax_greedy_norm", Router::SoftmaxGreedy, true},
    {"softmax_group_limited", Router::SoftmaxGroupLimited, false},
    {"sigmoid_noaux_tc_norm", Router::SigmoidNoauxTc, true},
    {"sigmoid_noaux_tc", Router::SigmoidNoauxTc, false},
};

ModelConfig case_config(const Case& k) {
  ModelConfig c = test::tiny_config(true, k.router);
  c.norm_topk_prob = k.norm_topk_prob;
  return c;
}

TEST(AutogradMoEGate, SelectionAndWeightsMatchInferenceRouter) {
  for (const Case& k : kCases) {
    SCOPED_TRACE(k.name);
    const ModelConfig c = case_config(k);
    const int64_t N = 50, E = c.n_routed_experts, K = c.n_activated_experts;
    Rng rng(21);
    std::vector<float> logits(size_t(N * E)), bias(static_cast<size_t>(E)), scores(size_t(N * E)), w(size_t(N * K));
    for (auto& v : logits) v = rng.symmetric(3.0f);
    for (auto& v : bias) v = rng.symmetric(0.5f);
    const float* b = c.topk_method == TopkMethod::NoauxTc ? bias.data() : nullptr;
    std::vector<int32_t> idx(size_t(N * K));
    moe_gate_forward(c, logits.data(), b, N, scores.data(), idx.data(), w.data());
    for (int64_t n = 0; n < N; ++n) {
      std::vector<int32_t> ridx(static_cast<size_t>(K));
      std::vector<float> rw(static_cast<size_t>(K));
      moe_route(c, &logits[size_t(n * E)], b, ridx.data(), rw.data());
      for (int64_t j = 0; j < K; ++j) {
        EXPECT_EQ(idx[size_t(n * K + j)], ridx[size_t(j)]) << "row " << n;
        EXPECT_NEAR(w[size_t(n * K + j)], rw[size_t(j)], 4e-7f * std::fabs(rw[size_t(j)])) << "row " << n;
      }
    }
  }
}

TEST(AutogradMoEGate, BiasSelectsButDoesNotWeight) {
  ModelConfig c = test::tiny_config(true, Router::SigmoidNoauxTc);
  c.n_expert_groups = 1;
  c.n_limited_groups = 1;
  c.n_activated_experts = 1;
  c.norm_topk_prob = false;
  c.route_scale = 1.0;
  const int64_t E = c.n_routed_experts;
  std::vector<double> logits(static_cast<size_t>(E), 0.0), bias(static_cast<size_t>(E), 0.0), s(static_cast<size_t>(E));
  logits[0] = 2.0;  // best score without bias
  bias[5] = 1.0;    // expert 5 wins the selection only through the bias
  int32_t idx;
  double w;
  moe_gate_forward(c, logits.data(), bias.data(), 1, s.data(), &idx, &w);
  EXPECT_EQ(idx, 5);
  EXPECT_DOUBLE_EQ(w, 0.5);  // sigmoid(0), not sigmoid(0) + 1
}

TEST(AutogradMoEGate, GradientThroughChosenWeights) {
  for (const Case& k : kCases) {
    const ModelConfig c = case_config(k);
    const int64_t N = 6, E = c.n_routed_experts, K = c.n_activated_experts;
    Rng rng(22);
    V logits = random_vec(rng, N * E, 2.0), bias = random_vec(rng, E, 0.3), r = random_vec(rng, N * K, 1.0);
    const double* b = c.topk_method == TopkMethod::NoauxTc ? bias.data() : nullptr;
    V scores(size_t(N * E)), w(size_t(N * K));
    std::vector<int32_t> idx(size_t(N * K)), idx0;
    auto loss = [&] {
      moe_gate_forward(c, logits.data(), b, N, scores.data(), idx.data(), w.data());
      EXPECT_TRUE(idx0.empty() || idx == idx0) << "selection changed under a finite-difference step";
      return test::weighted_sum(w, r);
    };
    loss();
    idx0 = idx;
    V dl(size_t(N * E), 0.0);
    moe_gate_backward(c, dl.data(), r.data(), scores.data(), idx.data(), N);
    check_grad(std::string("moe_gate(") + k.name + ").logits", logits.data(), dl.data(), N * E, loss);
  }
}

// loss = sum(out * r) + seq_aux_alpha * seq_balance over B = 2 sequences of S = 6 tokens; every parameter and x.
void check_layer(const Case& k, double seq_aux_alpha) {
  const ModelConfig c = case_config(k);
  const int64_t B = 2, S = 6, N = B * S, D = c.dim, E = c.n_routed_experts, I = c.moe_inter_dim;
  const int64_t Is = c.n_shared_experts * I;
  Rng rng(23);
  MoEParams<double> p, g;
  p.experts.resize(size_t(E));
  g.experts.resize(size_t(E));
  std::vector<test::Spec> specs;
  specs.push_back({"gate", E * D, 0.6, 0.0, &p.gate, &g.gate});
  for (int64_t e = 0; e < E; ++e) {
    const std::string n = "experts." + std::to_string(e) + ".";
    p.experts[size_t(e)].inter = g.experts[size_t(e)].inter = I;
    specs.push_back({n + "w1", I * D, 0.5, 0.0, &p.experts[size_t(e)].w1, &g.experts[size_t(e)].w1});
    specs.push_back({n + "w2", D * I, 0.5, 0.0, &p.experts[size_t(e)].w2, &g.experts[size_t(e)].w2});
    specs.push_back({n + "w3", I * D, 0.5, 0.0, &p.experts[size_t(e)].w3, &g.experts[size_t(e)].w3});
  }
  p.shared.inter = g.shared.inter = Is;
  specs.push_back({"shared.w1", Is * D, 0.5, 0.0, &p.shared.w1, &g.shared.w1});
  specs.push_back({"shared.w2", D * Is, 0.5, 0.0, &p.shared.w2, &g.shared.w2});
  specs.push_back({"shared.w3", Is * D, 0.5, 0.0, &p.shared.w3, &g.shared.w3});
  std::vector<test::Tensor> ts = test::make_tensors(rng, specs);
  V bias = random_vec(rng, E, 0.2);
  if (c.topk_method == TopkMethod::NoauxTc) p.bias = bias.data();
  V x = random_vec(rng, N * D, 1.0), r = random_vec(rng, N * D, 1.0), out(size_t(N * D));
  MoEActs<double> acts;
  std::vector<int32_t> idx0;
  auto loss = [&] {
    moe_forward(c, p, acts, x.data(), N, out.data());
    EXPECT_TRUE(idx0.empty() || acts.idx == idx0) << "selection changed under a finite-difference step";
    const double aux = seq_aux_alpha != 0.0 ? seq_balance_forward(c, acts.scores.data(), acts.idx.data(), B, S) : 0.0;
    return test::weighted_sum(out, r) + seq_aux_alpha * aux;
  };
  loss();
  idx0 = acts.idx;
  V dx(x.size(), 0.0), ds(size_t(N * E), 0.0);
  seq_balance_backward(c, ds.data(), acts.scores.data(), acts.idx.data(), B, S, seq_aux_alpha);
  moe_backward(c, p, g, acts, x.data(), N, r.data(), dx.data(), seq_aux_alpha != 0.0 ? ds.data() : nullptr);
  const std::string tag = std::string(seq_aux_alpha != 0.0 ? "moe+seq_balance(" : "moe(") + k.name + ").";
  check_grad(tag + "x", x.data(), dx.data(), int64_t(x.size()), loss);
  int64_t idle = 0;
  for (test::Tensor& t : ts) {
    // An expert that got no token this time has an exactly zero gradient; the check needs a used one.
    const bool is_expert = t.name.rfind("experts.", 0) == 0;
    const int64_t e = is_expert ? std::stoll(t.name.substr(8)) : -1;
    if (is_expert && acts.slots[size_t(e)].empty()) {
      for (double v : t.grad) EXPECT_EQ(v, 0.0) << t.name;
      ++idle;
      continue;
    }
    check_grad(tag + t.name, t.value.data(), t.grad.data(), int64_t(t.value.size()), loss);
  }
  EXPECT_LE(idle, 3 * 2) << "too few experts used for a meaningful check";
}

TEST(AutogradMoE, LayerGradientsAllParameters) {
  for (const Case& k : kCases) check_layer(k, 0.0);
}

TEST(AutogradMoE, LayerGradientsWithSequenceWiseBalanceLoss) {
  for (const Case& k : kCases) check_layer(k, 0.5);
}

}  // namespace
}  // namespace r1::ag
