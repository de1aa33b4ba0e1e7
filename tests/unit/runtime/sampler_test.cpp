#include "runtime/sampler.h"

#include <gtest/gtest.h>

#include <cmath>

#include <vector>

#include "core/error.h"

namespace r1 {
namespace {

TEST(Sampler, GreedyIsArgmaxWithLowestIdOnTies) {
  const std::vector<float> l = {0.1f, 2.0f, 2.0f, -1.0f};
  Sampler s({});
  EXPECT_EQ(s.sample(l.data(), 4), 1);
}

TEST(Sampler, SameSeedSameDraws) {
  std::vector<float> l(50);
  for (size_t i = 0; i < l.size(); ++i) l[i] = float(i % 7) * 0.3f;
  SamplerParams p;
  p.temperature = 1.0f;
  p.seed = 42;
  Sampler a(p), b(p);
  std::vector<int32_t> da, db;
  for (int i = 0; i < 100; ++i) {
    da.push_back(a.sample(l.data(), 50));
    db.push_back(b.sample(l.data(), 50));
  }
  EXPECT_EQ(da, db);
  p.seed = 43;
  Sampler c(p);
  std::vector<int32_t> dc;
  for (int i = 0; i < 100; ++i) dc.push_back(c.sample(l.data(), 50));
  EXPECT_NE(da, dc);
}

TEST(Sampler, TopKAndTopPRestrictTheSupport) {
  const std::vector<float> l = {0.0f, 3.0f, 2.9f, 1.0f, -2.0f};
  SamplerParams p;
  p.temperature = 2.0f;
  p.top_k = 2;
  Sampler k2(p);
  for (int i = 0; i < 200; ++i) {
    const int32_t t = k2.sample(l.data(), 5);
    EXPECT_TRUE(t == 1 || t == 2);
  }
  p.top_k = 0;
  p.top_p = 0.01f;  // only the most likely token reaches it
  Sampler p1(p);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(p1.sample(l.data(), 5), 1);
}

TEST(Sampler, FrequenciesFollowTheSoftmax) {
  const std::vector<float> l = {std::log(0.5f), std::log(0.3f), std::log(0.2f)};
  SamplerParams p;
  p.temperature = 1.0f;
  p.seed = 7;
  Sampler s(p);
  int n[3] = {0, 0, 0};
  const int N = 20000;
  for (int i = 0; i < N; ++i) ++n[s.sample(l.data(), 3)];
  // 5 standard deviations of a binomial count: sqrt(N p (1-p)) <= 71
  EXPECT_NEAR(n[0], 0.5 * N, 5 * 71);
  EXPECT_NEAR(n[1], 0.3 * N, 5 * 65);
  EXPECT_NEAR(n[2], 0.2 * N, 5 * 57);
}

TEST(Sampler, RejectsBadParameters) {
  SamplerParams p;
  p.top_p = 0.0f;
  EXPECT_THROW(Sampler{p}, Error);
  p = {};
  p.temperature = -1.0f;
  EXPECT_THROW(Sampler{p}, Error);
}

}  // namespace
}  // namespace r1
