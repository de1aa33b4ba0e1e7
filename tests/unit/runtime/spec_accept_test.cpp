// The speculative-sampling acceptance rule on hand-made distributions: whatever the draft distribution q,
// "draw d from q, keep it with probability min(1, p(d)/q(d)), else draw from max(0, p - q)" yields p.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "runtime/spec_decoder.h"

namespace r1 {
namespace {

TEST(SpecAccept, OutputIsDistributedAsTheTarget) {
  // Supports overlap only partly: q proposes token 5, which p never emits; p can emit 0, which q never drafts.
  const std::vector<double> p = {0.30, 0.25, 0.20, 0.15, 0.10, 0.00};
  const std::vector<double> q = {0.00, 0.10, 0.40, 0.15, 0.05, 0.30};
  SamplerParams sp;
  sp.temperature = 1.0f;
  sp.seed = 7;
  Sampler s(sp);
  const int N = 200000;
  std::vector<int> count(p.size(), 0);
  int accepted = 0;
  for (int i = 0; i < N; ++i) {
    const int32_t d = s.draw(q);
    bool acc = false;
    ++count[size_t(spec_accept(s, p, q, d, &acc))];
    accepted += acc;
  }
  EXPECT_EQ(count[5], 0);  // never a token the target excludes
  double chi2 = 0.0;
  for (size_t v = 0; v < 5; ++v) chi2 += (count[v] - N * p[v]) * (count[v] - N * p[v]) / (N * p[v]);
  EXPECT_LT(chi2, 20.52);  // chi-square, 4 degrees of freedom, 99.9 % quantile
  // The acceptance probability is sum_v min(p_v, q_v) = 0.10 + 0.20 + 0.15 + 0.05 = 0.50.
  const double rate = double(accepted) / N, sd = std::sqrt(0.25 / N);
  EXPECT_NEAR(rate, 0.50, 5 * sd);
}

TEST(SpecAccept, GreedyKeepsTheDraftOnlyWhenItIsTheArgmax) {
  Sampler s(SamplerParams{});
  const std::vector<double> p = {0, 0, 1, 0}, q_same = {0, 0, 1, 0}, q_other = {0, 1, 0, 0};
  bool acc = false;
  EXPECT_EQ(spec_accept(s, p, q_same, 2, &acc), 2);
  EXPECT_TRUE(acc);
  EXPECT_EQ(spec_accept(s, p, q_other, 1, &acc), 2);
  EXPECT_FALSE(acc);
}

}  // namespace
}  // namespace r1
