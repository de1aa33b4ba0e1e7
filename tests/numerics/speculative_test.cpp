// Self-speculative decoding with the MTP module: greedy output identical to plain decoding, on the golden
// tiny-v3 checkpoint (random MTP module: drafts mostly rejected) and on the embedded r1-zero-arith (trained
// MTP module: most drafts accepted).
#include "runtime/speculative.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "model/init_checkpoint.h"
#include "rl/rollout.h"
#include "tasks/registry.h"
#include "tasks/split.h"
#include "testutil.h"
#include "tokenizer/tokenizer.h"

namespace r1 {
namespace {

GenerateParams greedy(int64_t n) {
  GenerateParams g;
  g.max_tokens = n;
  g.ignore_eos = true;
  return g;
}

TEST(SpeculativeMTP, GreedyEqualsPlainOnTheGoldenPrompts) {
  test::TempDir dir;
  InitOptions o = test::golden_variants()[2].init;  // V3-like, with an MTP layer
  o.out = dir.path();
  init_checkpoint(o);
  const Model m(dir.path());
  ASSERT_TRUE(m.has_mtp());
  for (const std::string prompt : {"short", "long"}) {
    const auto g = nlohmann::json::parse(test::read_text(std::string(R1_GOLDEN_DIR) + "/v3_" + prompt + ".json"));
    const auto toks = g["tokens"].get<std::vector<int32_t>>();
    SpecStats st;
    const auto spec = generate_mtp(m, toks, greedy(16), {}, &st);
    EXPECT_EQ(spec.tokens, generate(m, toks, greedy(16)).tokens) << prompt;
    EXPECT_EQ(spec.tokens, g["greedy"].get<std::vector<int32_t>>()) << prompt;  // and the reference's
    EXPECT_GT(st.drafted, 0);
  }
}

TEST(SpeculativeMTP, TrainedModuleIsAcceptedAndOutputUnchanged) {
  const std::string dir = std::string(R1_GOLDEN_DIR) + "/../../models/r1-zero-arith";
  const Model m(dir);
  const tok::Tokenizer t(dir);
  const auto task = tasks::make_task("arithmetic", tasks::parse_task_options("ops=+-,min_operand=10,max_operand=99,compact=1"));
  SpecStats total;
  for (const auto& p : tasks::make_problem_set(*task, tasks::Split::test, 20, 5)) {
    const auto prompt = rl::prompt_ids(t, p);
    GenerateParams g = greedy(40);
    g.ignore_eos = false;
    SpecStats st;
    EXPECT_EQ(generate_mtp(m, prompt, g, {}, &st).tokens, generate(m, prompt, g).tokens) << p.prompt;
    total.drafted += st.drafted, total.accepted += st.accepted, total.steps += st.steps;
  }
  std::printf("r1-zero-arith: %lld of %lld MTP drafts accepted (%.1f %%)\n", (long long)total.accepted,
              (long long)total.drafted, 100.0 * total.acceptance());
  EXPECT_GT(total.acceptance(), 0.3);  // a trained module predicts the next-next token often
  GenerateParams sampled = greedy(8);
  sampled.sampler.temperature = 0.7f;
  EXPECT_THROW(generate_mtp(m, {0, 3}, sampled), Error);  // not implemented yet: a clear error
}

}  // namespace
}  // namespace r1
