// DeepSeek-V3's sequence-wise balance loss (autograd/moe_balance.h): its value on balanced and collapsed
// routings, and its gradient against central differences through the router scores and the logits for softmax
// and sigmoid scoring (through a whole MoE layer: moe_test; through the model: model_test).
#include <gtest/gtest.h>

#include "autograd/moe.h"
#include "autograd/moe_balance.h"
#include "gradcheck.h"
#include "test_configs.h"

namespace r1::ag {
namespace {

using test::check_grad;
using test::random_vec;
using test::Router;
using V = std::vector<double>;

TEST(AutogradSeqBalance, OneWhenBalancedAndNrOverKrWhenCollapsed) {
  ModelConfig c = test::tiny_config(true, Router::SigmoidNoauxTc);
  c.n_routed_experts = 4;
  c.n_activated_experts = 2;
  const int64_t S = 4, E = 4, K = 2;
  // Balanced: every expert chosen by half the tokens, equal scores.
  V s(size_t(S * E), 0.5);
  const std::vector<int32_t> even = {0, 1, 2, 3, 0, 1, 2, 3};
  EXPECT_NEAR(seq_balance_forward(c, s.data(), even.data(), 1, S), 1.0, 1e-15);
  // Collapsed: every token sends its tokens and its score mass to experts 0 and 1.
  for (int64_t t = 0; t < S; ++t) s[size_t(t * E)] = s[size_t(t * E + 1)] = 1.0, s[size_t(t * E + 2)] = s[size_t(t * E + 3)] = 0.0;
  const std::vector<int32_t> same = {0, 1, 0, 1, 1, 0, 0, 1};
  EXPECT_NEAR(seq_balance_forward(c, s.data(), same.data(), 1, S), double(E) / double(K), 1e-15);
  // Two sequences: the mean of the two.
  V s2 = s;
  s2.insert(s2.end(), S * E, 0.5);
  std::vector<int32_t> idx2 = same;
  idx2.insert(idx2.end(), even.begin(), even.end());
  EXPECT_NEAR(seq_balance_forward(c, s2.data(), idx2.data(), 2, S), (2.0 + 1.0) / 2.0, 1e-15);
}

struct Case {
  const char* name;
  Router router;
};
const Case kCases[] = {{"softmax_greedy", Router::SoftmaxGreedy},
                       {"softmax_group_limited", Router::SoftmaxGroupLimited},
                       {"sigmoid_noaux_tc", Router::SigmoidNoauxTc}};

TEST(AutogradSeqBalance, GradientThroughScoresAndLogits) {
  for (const Case& k : kCases) {
    const ModelConfig c = test::tiny_config(true, k.router);
    const int64_t B = 3, S = 5, N = B * S, E = c.n_routed_experts, K = c.n_activated_experts;
    const double alpha = 0.7;
    Rng rng(31);
    V logits = random_vec(rng, N * E, 2.0), bias = random_vec(rng, E, 0.3), r = random_vec(rng, N * K, 1.0);
    const double* b = c.topk_method == TopkMethod::NoauxTc ? bias.data() : nullptr;
    V scores(size_t(N * E)), w(size_t(N * K));
    std::vector<int32_t> idx(size_t(N * K)), idx0;
    // The balance loss alone, as a function of the scores (idx held fixed).
    auto of_scores = [&] { return alpha * seq_balance_forward(c, scores.data(), idx.data(), B, S); };
    // Router weights and balance loss together, as a function of the logits.
    auto of_logits = [&] {
      moe_gate_forward(c, logits.data(), b, N, scores.data(), idx.data(), w.data());
      EXPECT_TRUE(idx0.empty() || idx == idx0) << "selection changed under a finite-difference step";
      return test::weighted_sum(w, r) + of_scores();
    };
    of_logits();
    idx0 = idx;
    V ds(size_t(N * E), 0.0);
    seq_balance_backward(c, ds.data(), scores.data(), idx.data(), B, S, alpha);
    const std::string tag = std::string("seq_balance(") + k.name + ").";
    V s_copy = scores;
    check_grad(tag + "scores", scores.data(), ds.data(), N * E, of_scores);
    ASSERT_EQ(scores, s_copy);
    V dl(size_t(N * E), 0.0);
    moe_gate_backward(c, dl.data(), r.data(), scores.data(), idx.data(), N, ds.data());
    check_grad(tag + "logits", logits.data(), dl.data(), N * E, of_logits);
  }
}

}  // namespace
}  // namespace r1::ag
