// Fast kernels (kernels/cpu) against their readable twins (Weight::dequant_row + ops::dot), with the bound
// of a reordered f32 sum: |fast - ref| <= 2 n u sum|w_i x_i|, u = 2^-24 (plus the same for the reference).
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/dtype.h"
#include "core/rng.h"
#include "kernels/cpu/dot.h"
#include "kernels/cpu/gemm_bf16.h"
#include "kernels/ops.h"
#include "quant/weight.h"
#include "testutil.h"

namespace r1 {
namespace {

struct Buffers {
  std::vector<float> f32, scale;
  std::vector<uint16_t> b16, h16;
  std::vector<uint8_t> f8;
};

Weight make(DType t, int64_t rows, int64_t cols, Buffers& b, Rng& rng) {
  b.f32.resize(size_t(rows * cols));
  for (auto& v : b.f32) v = rng.symmetric(2.0f);
  b.b16.resize(b.f32.size());
  b.h16.resize(b.f32.size());
  b.f8.resize(b.f32.size());
  for (size_t i = 0; i < b.f32.size(); ++i) {
    b.b16[i] = f32_to_bf16(b.f32[i]);
    b.h16[i] = f32_to_f16(b.f32[i]);
    b.f8[i] = f32_to_fp8_e4m3(b.f32[i] * 100.0f);
  }
  const int64_t sr = (rows + 127) / 128, sc = (cols + 127) / 128;
  b.scale.resize(size_t(sr * sc));
  for (auto& s : b.scale) s = 0.01f * (1.0f + rng.uniform());
  Weight w;
  w.dtype = t;
  w.rows = rows;
  w.cols = cols;
  switch (t) {
    case DType::F32: w.data = reinterpret_cast<const uint8_t*>(b.f32.data()); break;
    case DType::BF16: w.data = reinterpret_cast<const uint8_t*>(b.b16.data()); break;
    case DType::F16: w.data = reinterpret_cast<const uint8_t*>(b.h16.data()); break;
    default: w.data = b.f8.data(); w.scale_inv = b.scale.data(); break;
  }
  return w;
}

class DotKernels : public ::testing::TestWithParam<DType> {};

TEST_P(DotKernels, MatchReferenceWithinReorderingBound) {
  Rng rng(17);
  for (int64_t cols : {1, 7, 8, 15, 16, 17, 100, 128, 129, 300, 1000}) {
    Buffers b;
    const int64_t rows = 130;  // two FP8 row blocks, the second partial
    const Weight w = make(GetParam(), rows, cols, b, rng);
    std::vector<float> x(static_cast<size_t>(cols)), row(static_cast<size_t>(cols));
    for (auto& v : x) v = rng.symmetric(1.0f);
    for (int64_t r : {int64_t(0), int64_t(64), int64_t(129)}) {
      w.dequant_row(r, row.data());
      double exact = 0.0, mag = 0.0;
      for (int64_t i = 0; i < cols; ++i) {
        exact += double(row[size_t(i)]) * double(x[size_t(i)]);
        mag += std::fabs(double(row[size_t(i)]) * double(x[size_t(i)]));
      }
      const double bound = 2.0 * double(cols + 1) * std::ldexp(1.0, -24) * mag + 1e-30;
      EXPECT_NEAR(w.dot_row(r, x.data()), exact, bound) << dtype_tag(GetParam()) << " cols " << cols << " row " << r;
      EXPECT_NEAR(ops::dot(row.data(), x.data(), cols), exact, bound);
    }
  }
}

TEST_P(DotKernels, LinearPathsAgree) {
  // Decode (per-row dot kernels) and prefill (dequantize + sgemm) paths against the plain definition. BF16
  // weights on an AVX512-BF16 CPU multiply bf16-rounded activations (kernels/cpu/gemm_bf16.h): the definition
  // is then taken on those.
  Rng rng(5);
  Buffers b;
  const int64_t rows = 200, cols = 300;
  const Weight w = make(GetParam(), rows, cols, b, rng);
  // FP8 prompts (T >= 16) on such a CPU run the same kernels on weight blocks dequantized and rounded to bf16.
  const bool avx512 = cpu::avx512_bf16_enabled();
  const auto round_bf16 = [](std::vector<float>& v) {
    for (auto& e : v) e = bf16_to_f32(f32_to_bf16(e));
  };
  for (int64_t T : {1, 2, 3, 4, 9, 40}) {
    const bool bf16_x = avx512 && (GetParam() == DType::BF16 || (GetParam() == DType::F8_E4M3 && T >= 16));
    const bool bf16_w = avx512 && GetParam() == DType::F8_E4M3 && T >= 16;
    std::vector<float> x(size_t(T * cols)), y(size_t(T * rows)), row(static_cast<size_t>(cols));
    for (auto& v : x) v = rng.symmetric(1.0f);
    linear(w, x.data(), T, y.data());
    if (bf16_x) round_bf16(x);
    for (int64_t r = 0; r < rows; r += 37) {
      w.dequant_row(r, row.data());
      if (bf16_w) round_bf16(row);
      for (int64_t t = 0; t < T; ++t) {
        double exact = 0.0, mag = 0.0;
        for (int64_t i = 0; i < cols; ++i) {
          exact += double(row[size_t(i)]) * double(x[size_t(t * cols + i)]);
          mag += std::fabs(double(row[size_t(i)]) * double(x[size_t(t * cols + i)]));
        }
        EXPECT_NEAR(y[size_t(t * rows + r)], exact, 2.0 * double(cols + 1) * std::ldexp(1.0, -24) * mag)
            << dtype_tag(GetParam()) << " T " << T << " row " << r;
      }
    }
  }
}

TEST_P(DotKernels, BatchedDecodeGivesEachInputItsOneAtATimeNumbers) {
  // Batch invariance: up to 15 inputs (16 and more may take the prefill GEMM), and any number in a decode pass,
  // get, bit for bit, what each would get alone, so a sequence's greedy tokens do not depend on what it is batched
  // with.
  Rng rng(9);
  Buffers b;
  const int64_t rows = 37, cols = 300;
  const Weight w = make(GetParam(), rows, cols, b, rng);
  test::expect_batch_invariant(w, rng, 1.0f, dtype_tag(GetParam()));
}

INSTANTIATE_TEST_SUITE_P(Formats, DotKernels, ::testing::Values(DType::F32, DType::BF16, DType::F16, DType::F8_E4M3),
                         [](const auto& info) { return std::string(dtype_tag(info.param)); });

TEST(RowTiles, MatchReferenceAndGiveEachInputItsAloneNumbers) {
  // cpu::rows_bf16 (the AVX2 BF16 matmul) and cpu::rows_f32 (the f32 one: F32 weights, dequantized panels of the
  // other formats, the naive attention) called directly, so that CPUs whose linear() takes the AVX-512 kernels
  // test them too: every tile shape (4, 2 or 1 rows x 1 to 4 inputs) and column tail (16- and 8-groups, single
  // columns) against the definition, and each input's outputs equal, bit for bit, those of the input alone.
  Rng rng(23);
  for (const DType type : {DType::BF16, DType::F32})
    for (int64_t cols : {1, 7, 8, 15, 16, 17, 24, 31, 33, 200, 300, 2049}) {
      Buffers b;
      const int64_t rows = 7;  // a 4-row tile, a pair and a single row when T <= 2; three pairs and a single after
      const Weight w = make(type, rows, cols, b, rng);
      // y (T, ldy) for inputs x (T, cols): packed first for BF16.
      auto run = [&](const float* x, int64_t T, float* y, int64_t ldy) {
        if (type == DType::F32) return cpu::rows_f32(reinterpret_cast<const float*>(w.data), cols, rows, x, T, cols, y, ldy);
        std::vector<float> xp(size_t(T * cols));
        cpu::pack_bf16_inputs(x, cols, T, cols, xp.data());
        cpu::rows_bf16(reinterpret_cast<const uint16_t*>(w.data), cols, rows, xp.data(), T, cols, y, ldy);
      };
      for (int64_t T : {1, 2, 3, 4, 5, 6, 7, 17, 64}) {
        std::vector<float> x(size_t(T * cols)), y(size_t(T * rows)), row(static_cast<size_t>(cols));
        for (auto& v : x) v = rng.symmetric(1.0f);
        run(x.data(), T, y.data(), rows);
        for (int64_t t = 0; t < T; ++t) {
          std::vector<float> one(static_cast<size_t>(rows));
          run(x.data() + t * cols, 1, one.data(), 1);
          for (int64_t r = 0; r < rows; ++r) {
            w.dequant_row(r, row.data());
            double exact = 0.0, mag = 0.0;
            for (int64_t i = 0; i < cols; ++i) {
              exact += double(row[size_t(i)]) * double(x[size_t(t * cols + i)]);
              mag += std::fabs(double(row[size_t(i)]) * double(x[size_t(t * cols + i)]));
            }
            const float got = y[size_t(t * rows + r)];
            EXPECT_NEAR(got, exact, 2.0 * double(cols + 1) * std::ldexp(1.0, -24) * mag)
                << dtype_tag(type) << " cols " << cols << " T " << T << " t " << t << " r " << r;
            EXPECT_EQ(one[size_t(r)], got) << dtype_tag(type) << " cols " << cols << " T " << T << " t " << t << " r " << r;
          }
        }
      }
    }
}

TEST(Fp8Kernel, DecodesEveryFiniteCodeLikeTheTable) {
  // One-hot rows: the kernel's decode of each code must equal the table (exactly, scale 1).
  for (int code = 0; code < 256; ++code) {
    if ((code & 0x7f) == 0x7f) continue;
    std::vector<uint8_t> w(16, 0);
    w[5] = uint8_t(code);
    std::vector<float> x(16, 0.0f);
    x[5] = 1.0f;
    const float one = 1.0f;
    Weight wt;
    wt.dtype = DType::F8_E4M3;
    wt.rows = 1;
    wt.cols = 16;
    wt.data = w.data();
    wt.scale_inv = &one;
    EXPECT_EQ(wt.dot_row(0, x.data()), fp8_e4m3_to_f32(uint8_t(code))) << code;
  }
}

}  // namespace
}  // namespace r1
