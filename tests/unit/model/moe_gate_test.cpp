// Routing on hand-made router logits, one case per variant.
#include "model/moe_gate.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace r1 {
namespace {

ModelConfig base(int64_t experts, int64_t k) {
  ModelConfig c;
  c.n_routed_experts = experts;
  c.n_activated_experts = k;
  return c;
}

float logit(float p) { return std::log(p / (1.0f - p)); }  // sigmoid^-1

TEST(MoeRoute, V2LiteGreedySoftmaxUnnormalised) {
  ModelConfig c = base(4, 2);
  c.route_scale = 1.0;
  const std::vector<float> logits = {std::log(1.0f), std::log(4.0f), std::log(2.0f), std::log(3.0f)};
  int32_t idx[2];
  float w[2];
  moe_route(c, logits.data(), nullptr, idx, w);
  EXPECT_EQ(idx[0], 1);
  EXPECT_EQ(idx[1], 3);
  EXPECT_NEAR(w[0], 0.4f, 1e-6f);  // softmax probabilities, not renormalised over the chosen two
  EXPECT_NEAR(w[1], 0.3f, 1e-6f);
}

TEST(MoeRoute, V2GroupLimitedUsesGroupMax) {
  // Groups {0,1}, {2,3}, {4,5}; keep 1 group. Group 1 has the best sum (0.2 + 0.2), group 2 the best max.
  ModelConfig c = base(6, 2);
  c.topk_method = TopkMethod::GroupLimitedGreedy;
  c.n_expert_groups = 3;
  c.n_limited_groups = 1;
  c.route_scale = 16.0;
  const std::vector<float> p = {0.05f, 0.05f, 0.2f, 0.2f, 0.3f, 0.2f};
  std::vector<float> logits;
  for (float v : p) logits.push_back(std::log(v));
  int32_t idx[2];
  float w[2];
  moe_route(c, logits.data(), nullptr, idx, w);
  EXPECT_EQ(idx[0], 4);
  EXPECT_EQ(idx[1], 5);
  EXPECT_NEAR(w[0], 0.3f * 16.0f, 1e-5f);
  EXPECT_NEAR(w[1], 0.2f * 16.0f, 1e-5f);
}

TEST(MoeRoute, V3BiasChangesChoiceButNotWeights) {
  ModelConfig c = base(4, 2);
  c.score_func = ScoreFunc::Sigmoid;
  c.topk_method = TopkMethod::NoauxTc;
  c.norm_topk_prob = true;
  c.route_scale = 2.5;
  const std::vector<float> logits = {logit(0.9f), logit(0.8f), logit(0.7f), logit(0.1f)};
  int32_t idx[2];
  float w[2];
  moe_route(c, logits.data(), nullptr, idx, w);  // without bias: experts 0 and 1
  EXPECT_EQ(idx[0], 0);
  EXPECT_EQ(idx[1], 1);
  const std::vector<float> bias = {0.0f, 0.0f, 0.15f, 0.0f};  // lifts expert 2 (0.85) above expert 1 (0.8)
  moe_route(c, logits.data(), bias.data(), idx, w);
  EXPECT_EQ(idx[0], 0);
  EXPECT_EQ(idx[1], 2);
  EXPECT_NEAR(w[0], 0.9f / 1.6f * 2.5f, 1e-5f);  // weights from the unbiased sigmoid scores
  EXPECT_NEAR(w[1], 0.7f / 1.6f * 2.5f, 1e-5f);
}

TEST(MoeRoute, V3GroupScoreIsSumOfTopTwo) {
  // Groups {0,1,2}, {3,4,5}; keep 1. Group 0 has the single best expert, group 1 the best top-2 sum.
  ModelConfig c = base(6, 2);
  c.score_func = ScoreFunc::Sigmoid;
  c.topk_method = TopkMethod::NoauxTc;
  c.n_expert_groups = 2;
  c.n_limited_groups = 1;
  c.norm_topk_prob = true;
  const std::vector<float> p = {0.95f, 0.1f, 0.1f, 0.7f, 0.7f, 0.1f};
  std::vector<float> logits;
  for (float v : p) logits.push_back(logit(v));
  const std::vector<float> bias(6, 0.0f);
  int32_t idx[2];
  float w[2];
  moe_route(c, logits.data(), bias.data(), idx, w);
  EXPECT_EQ(idx[0], 3);
  EXPECT_EQ(idx[1], 4);
  EXPECT_NEAR(w[0] + w[1], 1.0f, 1e-6f);  // normalised, route_scale 1
}

TEST(MoeRoute, TiesGoToLowerIndex) {
  ModelConfig c = base(4, 1);
  const std::vector<float> logits = {0.0f, 1.0f, 1.0f, 0.0f};
  int32_t idx[1];
  float w[1];
  moe_route(c, logits.data(), nullptr, idx, w);
  EXPECT_EQ(idx[0], 1);
}

}  // namespace
}  // namespace r1
