// The continuous-batching engine gives each request exactly what `generate` gives it alone, batched or not,
// with or without prefix-cache reuse.
#include "runtime/engine.h"

#include <gtest/gtest.h>

#include <future>
#include <optional>

#include "core/error.h"
#include "model/init_checkpoint.h"
#include "runtime/generate.h"
#include "testutil.h"

namespace r1 {
namespace {

struct Result {
  std::vector<int32_t> tokens;
  std::string reason;
};

std::shared_ptr<std::promise<Result>> submit(Engine& e, const std::vector<int32_t>& prompt, int64_t n,
                                             std::shared_ptr<Engine::Job>* job = nullptr) {
  auto p = std::make_shared<std::promise<Result>>();
  auto acc = std::make_shared<Result>();
  EngineRequest r;
  r.prompt = prompt;
  r.max_tokens = n;
  r.ignore_eos = true;
  r.on_token = [acc](int32_t t) {
    acc->tokens.push_back(t);
    return true;
  };
  r.on_done = [acc, p](const std::string& reason, int64_t, const std::string&) {
    acc->reason = reason;
    p->set_value(*acc);
  };
  auto j = e.submit(std::move(r));
  EXPECT_NE(j, nullptr);
  if (job) *job = j;
  return p;
}

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    InitOptions o = test::golden_variants()[2].init;  // V3-like
    o.out = dir_.path();
    init_checkpoint(o);
    model_ = std::make_unique<Model>(dir_.path());
  }
  std::vector<int32_t> alone(const std::vector<int32_t>& prompt, int64_t n, DType cache_type = DType::F32) {
    GenerateParams p;
    p.max_tokens = n;
    p.ignore_eos = true;
    p.cache_type = cache_type;
    return generate(*model_, prompt, p).tokens;
  }
  test::TempDir dir_;
  std::unique_ptr<Model> model_;
};

TEST_F(EngineTest, BatchedRequestsEqualSeparateGeneration) {
  EngineOptions o;
  o.max_parallel = 4;
  o.context = 128;
  Engine e(*model_, o);
  const std::vector<std::vector<int32_t>> prompts = {
      {0, 11, 12, 13}, {0, 200, 7}, {0, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28}, {0, 9}};
  std::vector<std::shared_ptr<std::promise<Result>>> ps;
  for (const auto& p : prompts) ps.push_back(submit(e, p, 12));
  for (size_t i = 0; i < prompts.size(); ++i) {
    const Result r = ps[i]->get_future().get();
    EXPECT_EQ(r.reason, "length");
    EXPECT_EQ(r.tokens, alone(prompts[i], 12)) << "request " << i;
  }
  EXPECT_GT(e.stats().decode_rows, e.stats().decode_steps);  // some steps really carried several sequences
}

// A bf16 / fp8 page pool rounds every row exactly as a bf16 / fp8 LatentKVCache does, and the attention reads it
// in the same order: batched paged decoding gives generate()'s tokens with the same cache type.
TEST_F(EngineTest, RoundedCacheTypesEqualSeparateGenerationWithTheSameType) {
  const std::vector<std::vector<int32_t>> prompts = {{0, 11, 12, 13}, {0, 200, 7, 5, 9, 31, 2, 8, 40, 41}, {0, 9}};
  for (DType t : {DType::BF16, DType::F8_E4M3}) {
    EngineOptions o;
    o.max_parallel = 3;
    o.context = 64;
    o.cache_type = t;
    Engine e(*model_, o);
    EXPECT_EQ(e.pool().format().type, t);
    std::vector<std::shared_ptr<std::promise<Result>>> ps;
    for (const auto& p : prompts) ps.push_back(submit(e, p, 16));
    for (size_t i = 0; i < prompts.size(); ++i)
      EXPECT_EQ(ps[i]->get_future().get().tokens, alone(prompts[i], 16, t)) << cache_type_name(t) << " request " << i;
  }
}

TEST_F(EngineTest, PrefixCacheReuseGivesTheSameTokens) {
  EngineOptions o;
  o.max_parallel = 2;
  o.context = 128;
  o.page_tokens = 4;
  Engine e(*model_, o);
  std::vector<int32_t> system(21);
  for (size_t i = 0; i < system.size(); ++i) system[i] = int32_t(i * 7 % 600);
  std::vector<int32_t> p1 = system, p2 = system;
  p1.push_back(100);
  p2.push_back(300);
  EXPECT_EQ(submit(e, p1, 8)->get_future().get().tokens, alone(p1, 8));
  EXPECT_EQ(submit(e, p2, 8)->get_future().get().tokens, alone(p2, 8));
  EXPECT_EQ(e.stats().cached_prompt_tokens, 20);  // five full pages of the shared prefix were not recomputed
}

TEST_F(EngineTest, ChunkedPrefillGivesTheSameTokens) {
  EngineOptions o;
  o.max_parallel = 2;
  o.context = 256;
  o.prefill_chunk = 16;  // a 150-token prompt in 10 chunks, interleaved with another sequence's decoding
  Engine e(*model_, o);
  std::vector<int32_t> longp(150), shortp = {0, 3, 4};
  for (size_t i = 0; i < longp.size(); ++i) longp[i] = int32_t((i * 53 + 7) % 640);
  auto a = submit(e, shortp, 24);
  auto b = submit(e, longp, 8);
  EXPECT_EQ(a->get_future().get().tokens, alone(shortp, 24));
  EXPECT_EQ(b->get_future().get().tokens, alone(longp, 8));
}

TEST_F(EngineTest, CancelFreesTheSlot) {
  EngineOptions o;
  o.max_parallel = 1;
  o.context = 2048;
  Engine e(*model_, o);
  std::shared_ptr<Engine::Job> job;
  auto long_one = submit(e, {0, 1, 2}, 2000, &job);
  e.cancel(job);
  EXPECT_EQ(long_one->get_future().get().reason, "cancelled");
  EXPECT_EQ(submit(e, {0, 5}, 3)->get_future().get().tokens.size(), 3u);  // the slot is free again
}

TEST_F(EngineTest, FullQueueRefuses) {
  EngineOptions o;
  o.max_parallel = 1;
  o.queue_max = 1;
  o.context = 4096;
  Engine e(*model_, o);
  std::shared_ptr<Engine::Job> a, b;
  auto pa = submit(e, {0, 1}, 4000, &a);
  // Wait until the first request left the queue, then fill the one queue slot.
  while (e.stats().active == 0) std::this_thread::yield();
  auto pb = submit(e, {0, 2}, 4000, &b);
  EngineRequest extra;
  extra.prompt = {0, 3};
  EXPECT_EQ(e.submit(std::move(extra)), nullptr);
  e.cancel(a);
  e.cancel(b);
  pa->get_future().get();
  pb->get_future().get();
}

// With MTP speculation every sequence brings its pending token and a draft to each step and may get two tokens
// back; greedy output stays what plain generation gives, through chunked prefill and prefix-cache pages (which
// then also hold MTP rows). Random MTP module (drafts mostly rejected) and the embedded trained one.
TEST_F(EngineTest, SpeculativeBatchedRequestsEqualPlainGeneration) {
  const std::string arith = std::string(R1_GOLDEN_DIR) + "/../../models/r1-zero-arith";
  const Model trained(arith);
  for (const Model* m : {static_cast<const Model*>(model_.get()), &trained}) {
    EngineOptions o;
    o.max_parallel = 3;
    o.context = 96;
    o.page_tokens = 4;
    o.prefill_chunk = 5;
    o.spec = true;
    Engine e(*m, o);
    std::vector<int32_t> system(14);
    for (size_t i = 0; i < system.size(); ++i) system[i] = int32_t(2 + i * 7 % 200);
    std::vector<std::vector<int32_t>> prompts = {system, system, {0, 9}, system, {0, 11, 12, 13, 14, 15, 16, 17}};
    prompts[1].push_back(40);
    prompts[3].push_back(41);
    prompts[3].push_back(42);
    std::vector<std::shared_ptr<std::promise<Result>>> ps;
    for (const auto& p : prompts) ps.push_back(submit(e, p, 20));
    for (size_t i = 0; i < prompts.size(); ++i) {
      GenerateParams gp;
      gp.max_tokens = 20;
      gp.ignore_eos = true;
      const Result r = ps[i]->get_future().get();
      EXPECT_EQ(r.reason, "length");
      EXPECT_EQ(r.tokens, generate(*m, prompts[i], gp).tokens) << m->dir() << " request " << i;
    }
    const EngineStats st = e.stats();
    EXPECT_GT(st.cached_prompt_tokens, 0);  // later requests mapped the shared prefix's pages
    EXPECT_GT(st.spec_drafted, 0);
    EXPECT_GT(st.decode_tokens, st.decode_rows - 1) << "every step yields at least one token per sequence";
    std::printf("%s: %lld of %lld drafts accepted\n", m->dir().c_str(), (long long)st.spec_accepted,
                (long long)st.spec_drafted);
  }
}

TEST(EngineSpec, RefusedWithoutAnMTPModule) {
  test::TempDir dir;
  InitOptions io = test::golden_variants()[0].init;  // V2-Lite-like: no MTP layer
  io.out = dir.path();
  init_checkpoint(io);
  const Model m(dir.path());
  ASSERT_FALSE(m.has_mtp());
  EngineOptions o;
  o.spec = true;
  EXPECT_THROW(Engine(m, o), Error);
}

// Submits `prompts` together to an engine over `m` and checks that each gets generate()'s greedy tokens (n each).
void expect_batched_equals_alone(const Model& m, const EngineOptions& o,
                                 const std::vector<std::vector<int32_t>>& prompts, int64_t n, const std::string& what) {
  Engine e(m, o);
  std::vector<std::shared_ptr<std::promise<Result>>> ps;
  for (const auto& p : prompts) ps.push_back(submit(e, p, n));
  for (size_t i = 0; i < prompts.size(); ++i) {
    GenerateParams gp;
    gp.max_tokens = n;
    gp.ignore_eos = true;
    EXPECT_EQ(ps[i]->get_future().get().tokens, generate(m, prompts[i], gp).tokens) << what << " request " << i;
  }
}

// The GQA families (R1-Distill Qwen2/Llama) run through the same engine: their cache rows are keys and values.
TEST(EngineGQA, BatchedPagedRequestsEqualSeparateGeneration) {
  for (const size_t variant : {size_t(4), size_t(5)}) {  // tiny-qwen2, tiny-llama
    test::TempDir dir;
    InitOptions io = test::golden_variants()[variant].init;
    io.out = dir.path();
    init_checkpoint(io);
    const Model m(dir.path());
    EngineOptions o;
    o.max_parallel = 3;
    o.context = 128;
    o.page_tokens = 4;
    expect_batched_equals_alone(m, o, {{0, 11, 12, 13, 14, 15, 16, 17, 18}, {0, 11, 12, 13, 14, 15, 16, 17, 40}, {0, 9}},
                                10, io.config);
  }
}

// Quantized and FP8 weights through the engine (`serve --quant q8`, an FP8 checkpoint): batched greedy requests
// get generate()'s tokens. (The bit-level guarantee behind it is checked on linear() itself, in
// *.BatchedDecodeGivesEachInputItsOneAtATimeNumbers: on these tiny models a last-bit difference rarely flips a
// token, so this test alone did not notice when the one-row kernels summed differently.)
TEST(EngineFormats, BatchedRequestsEqualSeparateGenerationForQuantizedAndFp8Weights) {
  struct Case { size_t variant; std::optional<DType> quant; };
  for (const Case c : {Case{2, DType::Q8}, Case{2, DType::Q4}, Case{3, std::nullopt}}) {  // tiny-v3; v3-fp8
    test::TempDir dir;
    InitOptions io = test::golden_variants()[c.variant].init;
    io.out = dir.path();
    init_checkpoint(io);
    ModelLoadOptions lo;
    lo.quant = c.quant;
    const Model m(dir.path(), lo);
    EngineOptions o;
    o.max_parallel = 3;
    o.context = 96;
    expect_batched_equals_alone(m, o, {{0, 11, 12, 13}, {0, 200, 7, 5, 9, 31, 2, 8, 40, 41}, {0, 9}}, 16,
                                test::golden_variants()[c.variant].name +
                                    (c.quant ? std::string(" ") + dtype_tag(*c.quant) : ""));
  }
}

}  // namespace
}  // namespace r1
