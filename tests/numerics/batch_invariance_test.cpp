// A sequence's numbers must not depend on what it is batched with, nor on how its prompt is split into chunks
// (the server's continuous batching, chunked prefill and prefix cache), for every weight format: BF16 as
// stored, FP8 as stored, and Q8 / Q4 quantized at load time. Decode steps are checked bit for bit at batch sizes
// past every threshold of linear()'s Auto pass (16 and 64 rows), prompt chunks bit for bit against the whole
// prompt. (Run on the AVX2 kernels, R1_NO_AVX512=1, as all golden tests.)
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <optional>

#include "model/init_checkpoint.h"
#include "model/transformer.h"
#include "runtime/kv_cache.h"
#include "testutil.h"

namespace r1 {
namespace {

using test::rel_diff;

struct Case {
  const char* name;
  int variant;                // index into test::golden_variants()
  std::optional<DType> quant;  // load-time quantization
};

class BatchInvariance : public ::testing::TestWithParam<Case> {
 protected:
  void SetUp() override {
    InitOptions o = test::golden_variants()[size_t(GetParam().variant)].init;
    o.out = dir_.path();
    init_checkpoint(o);
    ModelLoadOptions lo;
    lo.quant = GetParam().quant;
    m_ = std::make_unique<Model>(dir_.path(), lo);
  }
  test::TempDir dir_;
  std::unique_ptr<Model> m_;
};

TEST_P(BatchInvariance, DecodeRowsGetTheirAloneBitsAtAnyBatchSize) {
  const Model& m = *m_;
  const int64_t V = m.config().vocab_size, N = 70;  // past linear()'s 16-row and 64-row GEMM thresholds
  Rng rng(11);
  std::vector<std::unique_ptr<LatentKVCache>> batched, alone;
  std::vector<Model::Row> rows;
  std::vector<float> scratch(static_cast<size_t>(V));
  for (int64_t i = 0; i < N; ++i) {
    std::vector<int32_t> p(size_t(2 + i % 5));
    for (auto& t : p) t = int32_t(rng.next() % uint64_t(V));
    const int64_t cap = int64_t(p.size()) + 1;
    batched.push_back(std::make_unique<LatentKVCache>(m.config(), cap));
    alone.push_back(std::make_unique<LatentKVCache>(m.config(), cap));
    m.forward(p.data(), int64_t(p.size()), 0, *batched.back(), scratch.data());
    m.forward(p.data(), int64_t(p.size()), 0, *alone.back(), scratch.data());
    rows.push_back({int32_t(rng.next() % uint64_t(V)), int64_t(p.size()), batched.back().get(), true});
  }
  // One step of the first 20 sequences, then one of all 70 at the same positions (each row rewrites its own
  // cache row, with the same bits if the step is invariant; decode() likewise on the `alone` caches).
  for (const int64_t n : {int64_t(20), N}) {
    std::vector<Model::Row> step(rows.begin(), rows.begin() + n);
    std::vector<float> got(size_t(n * V));
    m.forward_rows(step, got.data());
    for (int64_t i = 0; i < n; ++i) {
      std::vector<float> one(static_cast<size_t>(V));
      m.decode(step[size_t(i)].token, step[size_t(i)].pos, *alone[size_t(i)], one.data());
      EXPECT_EQ(0, std::memcmp(one.data(), &got[size_t(i * V)], size_t(V) * sizeof(float)))
          << GetParam().name << ": batch of " << n << ", sequence " << i;
    }
  }
}

// A prompt split as the server may split it (64-token chunks, a one-token chunk after a cached prefix, any
// remainder) ends with the logits of the whole prompt in one call, bit for bit (and within the golden tests'
// f32 bound of the absorbed attention's): every chunk is a prompt pass (f32 tiles, naive attention) whatever its
// length, and the tiles sum each pair in one order whatever the matrix sizes.
TEST_P(BatchInvariance, PromptChunksGiveTheWholePromptsBits) {
  const Model& m = *m_;
  const int64_t V = m.config().vocab_size, n = 100;
  Rng rng(5);
  std::vector<int32_t> p(static_cast<size_t>(n));
  for (auto& t : p) t = int32_t(rng.next() % uint64_t(V));
  std::vector<float> whole(static_cast<size_t>(V)), absorbed(static_cast<size_t>(V));
  LatentKVCache a(m.config(), n), ab(m.config(), n);
  m.forward(p.data(), n, 0, a, whole.data());
  m.forward(p.data(), n, 0, ab, absorbed.data(), AttnMode::Absorb);
  // (Q4 on AVX2 without VNNI runs prompts on int8 inputs too, whose rounding differs between the two attentions.)
  if (!linear_quantizes_inputs(m.weights().layers[0].attn.wkv_b, n, LinearPass::Prompt)) {
    EXPECT_LE(rel_diff(whole, absorbed), 1e-4) << GetParam().name;
  }
  for (const std::vector<int64_t>& split : {std::vector<int64_t>{64, 36}, {17, 1, 3, 79}, {99, 1}, {1, 63, 36}}) {
    LatentKVCache b(m.config(), n);
    std::vector<float> chunked(static_cast<size_t>(V));
    int64_t at = 0;
    for (const int64_t len : split) {
      m.forward(p.data() + at, len, at, b, chunked.data());
      at += len;
    }
    ASSERT_EQ(at, n);
    EXPECT_EQ(0, std::memcmp(chunked.data(), whole.data(), size_t(V) * sizeof(float)))
        << GetParam().name << ": split " << ::testing::PrintToString(split) << ", rel diff " << rel_diff(chunked, whole);
  }
}

INSTANTIATE_TEST_SUITE_P(Formats, BatchInvariance,
                         ::testing::Values(Case{"bf16", 2, std::nullopt}, Case{"fp8", 3, std::nullopt},
                                           Case{"q8", 2, DType::Q8}, Case{"q4", 2, DType::Q4}),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace r1
