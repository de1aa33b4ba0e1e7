// Batched sampling (RL rollouts, evaluation) gives each sequence exactly what decoding it alone gives.
#include "runtime/batch_sampler.h"

#include <gtest/gtest.h>

#include "model/init_checkpoint.h"
#include "runtime/generate.h"
#include "testutil.h"

namespace r1 {
namespace {

TEST(BatchSampler, GreedyEqualsGenerateAndSeedsAreStable) {
  test::TempDir dir;
  InitOptions o = test::golden_variants()[2].init;  // V3-like
  o.out = dir.path();
  init_checkpoint(o);
  const Model m(dir.path());
  const std::vector<std::vector<int32_t>> prompts = {{0, 11, 12, 13}, {0, 200}, {0, 5, 6, 7, 8, 9, 10, 11, 12}};
  BatchSampleParams p;
  p.n = 2;
  p.max_tokens = 10;
  p.temperature = 0.0f;
  const auto out = sample_batch(m, prompts, p);
  ASSERT_EQ(out.size(), 6u);
  for (size_t i = 0; i < out.size(); ++i) {
    GenerateParams g;
    g.max_tokens = 10;
    g.ignore_eos = true;
    EXPECT_EQ(out[i].prompt, int64_t(i / 2));
    EXPECT_EQ(out[i].tokens, generate(m, prompts[i / 2], g).tokens) << "completion " << i;
  }
  // Sampled: the same seed gives the same completions whatever the batch; a stop token ends a completion.
  p.temperature = 1.0f;
  p.seed = 9;
  const auto a = sample_batch(m, prompts, p);
  const auto b = sample_batch(m, {prompts[1]}, p);  // alone it is prompt 0: its own generators
  const auto c = sample_batch(m, prompts, p);
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].tokens, c[i].tokens);
  EXPECT_EQ(b.size(), 2u);
  p.stop = {a[0].tokens[2]};
  const auto s = sample_batch(m, prompts, p);
  EXPECT_TRUE(s[0].finished);
  EXPECT_EQ(s[0].tokens.size(), 3u);
  EXPECT_EQ(s[0].tokens.back(), a[0].tokens[2]);
}

}  // namespace
}  // namespace r1
