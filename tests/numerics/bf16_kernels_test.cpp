// AVX-512 BF16 kernels (kernels/cpu/gemm_bf16.h) against their scalar twins (kernels/ref/bf16_ref.h), and
// linear() on BF16 weights against the plain definition on the activations it actually multiplies.
// Tolerances come from the arithmetic: the bf16 conversion is exact to the bit; a product of two bf16 values is
// exact in f32, so fast and reference sums of the same K products differ only by the order of f32 additions,
// each within 2 (K + 1) u sum_k |w_k x_k| of the exact sum, u = 2^-24 (the bound of kernels_test.cpp).
// The inputs hold no subnormals (vdpbf16ps treats those as zero).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "core/dtype.h"
#include "core/rng.h"
#include "kernels/cpu/gemm_bf16.h"
#include "kernels/ref/bf16_ref.h"
#include "quant/weight.h"

namespace r1 {
namespace {

const double kU = std::ldexp(1.0, -24);

std::vector<uint16_t> random_bf16(Rng& rng, int64_t n, float a) {
  std::vector<uint16_t> v(static_cast<size_t>(n));
  for (auto& h : v) h = f32_to_bf16(rng.symmetric(a));
  return v;
}

// Exact (double) value of Y[t, r] and its magnitude sum_k |w_k x_k|.
void exact_dot(const uint16_t* w, const uint16_t* x, int64_t K, double* exact, double* mag) {
  *exact = *mag = 0.0;
  for (int64_t k = 0; k < K; ++k) {
    const double p = double(bf16_to_f32(w[k])) * double(bf16_to_f32(x[k]));
    *exact += p;
    *mag += std::fabs(p);
  }
}

#define REQUIRE_AVX512_BF16() \
  if (!cpu::cpu_has_avx512_bf16()) GTEST_SKIP() << "CPU lacks AVX512-BF16"

TEST(Bf16Convert, FastIsBitExactWithReference) {
  REQUIRE_AVX512_BF16();
  Rng rng(11);
  std::vector<float> x;
  for (int i = 0; i < 1000; ++i) x.push_back(rng.symmetric(10.0f));
  for (float v : {0.0f, -0.0f, 1.0f + 0x1p-8f, 1.0f + 0x1p-7f + 0x1p-8f, 1.0f + 0x1p-8f + 0x1p-20f,  // ties, near-ties
                  std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity(),
                  std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::denorm_min(), 3.4e38f, -1e-39f})
    x.push_back(v);
  uint32_t snan = 0x7f800001u;  // signalling NaN: must come out a (quiet) NaN
  float f;
  std::memcpy(&f, &snan, 4);
  x.push_back(f);
  for (int64_t n : {int64_t(1), int64_t(15), int64_t(16), int64_t(17), int64_t(x.size())}) {
    std::vector<uint16_t> a(static_cast<size_t>(n)), b(static_cast<size_t>(n));
    ref::to_bf16(x.data() + x.size() - n, n, a.data());
    cpu::to_bf16_avx512(x.data() + x.size() - n, n, b.data());
    for (int64_t i = 0; i < n; ++i) EXPECT_EQ(a[size_t(i)], b[size_t(i)]) << "n " << n << " i " << i;
  }
}

TEST(Bf16Gemm, MatchesReferenceWithinReorderingBound) {
  REQUIRE_AVX512_BF16();
  Rng rng(23);
  struct Shape { int64_t rows, T, K; };
  // Every tile remainder (rows % 4, T % 6), K tails (K % 32), more than one K slice (K > 2048; > 1024 on CPUs
  // with less than 48 KiB of L1), blocks of T;
  // for T = 1 (the row-by-row decode kernel) the 128-, 32- and masked-column steps alone and together.
  for (const Shape s : {Shape{1, 1, 1}, Shape{3, 2, 31}, Shape{4, 6, 32}, Shape{5, 7, 33}, Shape{9, 13, 100},
                        Shape{16, 1, 2048}, Shape{7, 4, 1030}, Shape{12, 100, 300}, Shape{66, 130, 64},
                        Shape{8, 20, 2100}, Shape{5, 1, 161}, Shape{3, 1, 97}, Shape{2, 1, 4113}, Shape{4, 1, 128}}) {
    const int64_t ldw = s.K + 3, ldx = s.K + 5, ldy = s.rows + 2;  // strided, as for row ranges of a weight
    const std::vector<uint16_t> W = random_bf16(rng, s.rows * ldw, 2.0f), X = random_bf16(rng, s.T * ldx, 1.0f);
    std::vector<float> fast(size_t(s.T * ldy), -1.0f), slow(fast.size(), -1.0f);
    cpu::gemm_bf16_avx512(W.data(), ldw, s.rows, X.data(), ldx, s.T, s.K, fast.data(), ldy);
    ref::gemm_bf16(W.data(), ldw, s.rows, X.data(), ldx, s.T, s.K, slow.data(), ldy);
    for (int64_t t = 0; t < s.T; ++t) {
      for (int64_t r = 0; r < s.rows; ++r) {
        double exact, mag;
        exact_dot(&W[size_t(r * ldw)], &X[size_t(t * ldx)], s.K, &exact, &mag);
        const double bound = 2.0 * double(s.K + 1) * kU * mag;
        const size_t i = size_t(t * ldy + r);
        EXPECT_NEAR(fast[i], exact, bound) << s.rows << "x" << s.T << "x" << s.K << " t " << t << " r " << r;
        EXPECT_NEAR(slow[i], exact, bound);
        EXPECT_NEAR(fast[i], slow[i], 2.0 * bound);
      }
      for (int64_t r = s.rows; r < ldy; ++r) EXPECT_EQ(fast[size_t(t * ldy + r)], -1.0f) << "wrote past rows";
    }
  }
}

TEST(Bf16Gemm, OneInputGivesTheBatchedNumbersExactly) {
  // Decode (T = 1) and batches of decodes, few (streamed tiles) or many (blocked tiles), must give bit-identical
  // results for each input, also for K over one slice (DeepSeek-V3's 7168-wide hidden state): a sequence's
  // greedy tokens may not depend on what it is batched with.
  REQUIRE_AVX512_BF16();
  Rng rng(29);
  for (const int64_t K : {1, 31, 32, 100, 1024, 2100, 7168}) {
    const int64_t rows = 11;
    for (const int64_t T : {2, 5, 6, 10, 16}) {
      const std::vector<uint16_t> W = random_bf16(rng, rows * K, 2.0f), X = random_bf16(rng, T * K, 1.0f);
      std::vector<float> batch(size_t(T * rows)), one(static_cast<size_t>(rows));
      cpu::gemm_bf16_avx512(W.data(), K, rows, X.data(), K, T, K, batch.data(), rows);
      for (int64_t t = 0; t < T; ++t) {
        cpu::gemm_bf16_avx512(W.data(), K, rows, X.data() + t * K, K, 1, K, one.data(), rows);
        for (int64_t r = 0; r < rows; ++r)
          EXPECT_EQ(one[size_t(r)], batch[size_t(t * rows + r)]) << "K " << K << " T " << T << " t " << t << " r " << r;
      }
    }
  }
}

TEST(Bf16Linear, RowRangesMatchTheWholeProduct) {
  // linear_rows over a range that starts inside a tile and a panel gives the rows of the full product.
  Rng rng(4);
  const int64_t rows = 150, cols = 200;
  const std::vector<uint16_t> b = random_bf16(rng, rows * cols, 2.0f);
  Weight w;
  w.dtype = DType::BF16;
  w.rows = rows;
  w.cols = cols;
  w.data = reinterpret_cast<const uint8_t*>(b.data());
  for (int64_t T : {1, 5, 20}) {
    std::vector<float> x(size_t(T * cols));
    for (auto& v : x) v = rng.symmetric(1.0f);
    const int64_t r0 = 37, r1 = 141;
    std::vector<float> all(size_t(T * rows)), part(size_t(T * (r1 - r0)));
    linear(w, x.data(), T, all.data());
    linear_rows(w, r0, r1, x.data(), T, part.data());
    for (int64_t t = 0; t < T; ++t)
      for (int64_t r = r0; r < r1; ++r) {
        // Both are sums of the same products in different orders; sum |w x| of the bf16-rounded x is at most
        // (1 + 2^-8) times that of x.
        double mag = 0.0;
        for (int64_t k = 0; k < cols; ++k)
          mag += std::fabs(double(bf16_to_f32(b[size_t(r * cols + k)])) * double(x[size_t(t * cols + k)]));
        const double bound = 4.0 * double(cols + 1) * kU * mag * (1.0 + std::ldexp(1.0, -8));
        EXPECT_NEAR(part[size_t(t * (r1 - r0) + r - r0)], all[size_t(t * rows + r)], bound) << "T " << T << " r " << r;
      }
  }
}

}  // namespace
}  // namespace r1
