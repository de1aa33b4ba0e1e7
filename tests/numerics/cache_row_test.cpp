// The KV cache's storage types (kernels/cache_row.h): the codec's error bounds, and the dtype-aware kernels
// (kernels/cpu/cache_row_ops.h) against their scalar twins (kernels/ref/cache_row_ref.h).
//
// Twin tolerances, u = 2^-24 (f32 unit roundoff):
//   dot:  the fast kernel sums the n products in another order (and, for fp8, scales the part sum once instead of
//         every decoded value): |fast - ref| <= (2n + 4) u sum_i |q_i v_i|, v the decoded values (each side is
//         within (n + 2) u sum|q_i v_i| of the exact sum).
//   axpy: the fast kernel fuses multiply and add (fp8: and folds the scale into a); per element
//         |fast - ref| <= 6 u (|y_i| + |a v_i|) (ref: three roundings of a*v and one of the sum; fast: two).
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/rng.h"
#include "kernels/cache_row.h"
#include "kernels/cpu/cache_row_ops.h"
#include "kernels/ops.h"
#include "kernels/ref/cache_row_ref.h"

namespace r1 {
namespace {

constexpr double kU = 0x1p-24;

CacheRowFormat fmt(DType t, int64_t width, int64_t split) {
  CacheRowFormat f;
  f.type = t;
  f.width = width;
  f.split = split;
  return f;
}

// Values spread over several binades (exercises fp8's subnormals relative to the row's scale too).
std::vector<float> random_row(Rng& rng, int64_t n, float amp) {
  std::vector<float> x(static_cast<size_t>(n));
  for (auto& v : x) v = rng.symmetric(amp) * std::exp2(float(int(rng.next() % 12)) - 6.0f);
  return x;
}

// A random row stored in format f (`row`), and its values as stored, decoded back to f32 (`v`).
void stored_row(Rng& rng, const CacheRowFormat& f, std::vector<uint8_t>* row, std::vector<float>* v) {
  row->assign(size_t(f.bytes()), 0);
  const std::vector<float> x = random_row(rng, f.width, 3.0f);
  cache_row_store(f, x.data(), row->data());
  v->assign(size_t(f.width), 0.0f);
  cache_row_load(f, row->data(), 0, f.split, v->data());
  cache_row_load(f, row->data(), f.split, f.width - f.split, v->data() + f.split);
}

class CacheRowTypes : public ::testing::TestWithParam<DType> {};

TEST_P(CacheRowTypes, KernelsMatchScalarTwinsOnOddLengths) {
  Rng rng(29);
  for (int64_t width : {1, 3, 9, 17, 31, 33, 77, 131, 576}) {
    const int64_t split = width * 3 / 4;
    const CacheRowFormat f = fmt(GetParam(), width, split);
    std::vector<uint8_t> row;
    std::vector<float> v;
    stored_row(rng, f, &row, &v);
    // Parts and sub-ranges of them (GQA reads one head's slice of a part).
    const int64_t ranges[][2] = {{0, split}, {split, width - split}, {1, split > 2 ? split - 2 : 0}};
    for (const auto& r : ranges) {
      const int64_t b = r[0], n = r[1];
      const std::vector<float> q = random_row(rng, n, 1.0f);
      double mag = 0.0;
      for (int64_t i = 0; i < n; ++i) mag += std::fabs(double(q[size_t(i)]) * double(v[size_t(b + i)]));
      const float fast = cpu::cache_dot(f, row.data(), b, n, q.data());
      const float ref = ref::cache_dot(f, row.data(), b, n, q.data());
      EXPECT_LE(std::fabs(double(fast) - double(ref)), double(2 * n + 4) * kU * mag) << "width " << width << " begin " << b;

      const float a = rng.symmetric(2.0f);
      std::vector<float> y0 = random_row(rng, n, 1.0f), yf = y0, yr = y0;
      cpu::cache_axpy(f, a, row.data(), b, n, yf.data());
      ref::cache_axpy(f, a, row.data(), b, n, yr.data());
      for (int64_t i = 0; i < n; ++i) {
        const double tol = 6 * kU * (std::fabs(double(y0[size_t(i)])) + std::fabs(double(a) * double(v[size_t(b + i)])));
        EXPECT_LE(std::fabs(double(yf[size_t(i)]) - double(yr[size_t(i)])), tol) << "width " << width << " i " << i;
      }
    }
  }
}

TEST_P(CacheRowTypes, MultiHeadKernelsMatchScalarTwins) {
  // One row against nh heads at once (1..4 per register block, and a remainder), strided queries/accumulators.
  Rng rng(31);
  for (int64_t width : {9, 33, 77, 576}) {
    const int64_t split = width * 3 / 4;
    const CacheRowFormat f = fmt(GetParam(), width, split);
    std::vector<uint8_t> row;
    std::vector<float> v;
    stored_row(rng, f, &row, &v);
    for (int64_t nh : {1, 3, 4, 7, 16}) {
      const int64_t ranges[][2] = {{0, split}, {split, width - split}};
      for (const auto& r : ranges) {
        const int64_t b = r[0], n = r[1], stride = n + 5;
        const std::vector<float> q = random_row(rng, nh * stride, 1.0f);
        std::vector<float> fast(static_cast<size_t>(nh)), slow(static_cast<size_t>(nh));
        cpu::cache_dot_heads(f, row.data(), b, n, q.data(), stride, nh, fast.data());
        ref::cache_dot_heads(f, row.data(), b, n, q.data(), stride, nh, slow.data());
        for (int64_t h = 0; h < nh; ++h) {
          double mag = 0.0;
          for (int64_t i = 0; i < n; ++i) mag += std::fabs(double(q[size_t(h * stride + i)]) * double(v[size_t(b + i)]));
          EXPECT_LE(std::fabs(double(fast[size_t(h)]) - double(slow[size_t(h)])), double(2 * n + 4) * kU * mag)
              << "width " << width << " heads " << nh << " h " << h;
        }
        const std::vector<float> a = random_row(rng, nh, 2.0f), y0 = random_row(rng, nh * stride, 1.0f);
        std::vector<float> yf = y0, yr = y0;
        cpu::cache_axpy_heads(f, a.data(), row.data(), b, n, yf.data(), stride, nh);
        ref::cache_axpy_heads(f, a.data(), row.data(), b, n, yr.data(), stride, nh);
        for (int64_t h = 0; h < nh; ++h)
          for (int64_t i = 0; i < stride; ++i) {
            const size_t j = size_t(h * stride + i);
            if (i >= n) {
              EXPECT_EQ(yf[j], y0[j]) << "wrote past the range";
              continue;
            }
            const double tol = 6 * kU * (std::fabs(double(y0[j])) + std::fabs(double(a[size_t(h)]) * double(v[size_t(b + i)])));
            EXPECT_LE(std::fabs(double(yf[j]) - double(yr[j])), tol) << "width " << width << " h " << h << " i " << i;
          }
      }
    }
  }
}

// Eight random stored rows of format f (the eight-row kernels' operands), their values and their pointers.
struct EightRows {
  std::vector<std::vector<uint8_t>> rows = std::vector<std::vector<uint8_t>>(8);
  std::vector<std::vector<float>> vals = std::vector<std::vector<float>>(8);
  const uint8_t* ptr[8];
  EightRows(Rng& rng, const CacheRowFormat& f) {
    for (int j = 0; j < 8; ++j) {
      stored_row(rng, f, &rows[size_t(j)], &vals[size_t(j)]);
      ptr[j] = rows[size_t(j)].data();
    }
  }
};

TEST(CacheRow, EightRowKernelMatchesScalarTwin) {
  // Eight f32 rows against one query (absorbed decode, short rows): the transposed sums against the plain dots.
  Rng rng(41);
  for (int64_t width : {9, 33, 77, 576}) {
    const int64_t split = width * 3 / 4;
    const CacheRowFormat f = fmt(DType::F32, width, split);
    const EightRows e(rng, f);
    const auto& vals = e.vals;
    const uint8_t* const* ptr = e.ptr;
    const int64_t ranges[][2] = {{0, split}, {split, width - split}};
    for (const auto& r : ranges) {
      const int64_t b = r[0], n = r[1];
      const std::vector<float> q = random_row(rng, n, 1.0f);
      float fast[8], slow[8];
      cpu::cache_dot_rows8(f, ptr, b, n, q.data(), fast);
      ref::cache_dot_rows8(f, ptr, b, n, q.data(), slow);
      for (int j = 0; j < 8; ++j) {
        double mag = 0.0;
        for (int64_t i = 0; i < n; ++i) mag += std::fabs(double(q[size_t(i)]) * double(vals[size_t(j)][size_t(b + i)]));
        EXPECT_LE(std::fabs(double(fast[j]) - double(slow[j])), double(2 * n + 4) * kU * mag) << "width " << width << " row " << j;
      }
    }
  }
}

TEST(CacheRow, EightRowAxpyIsEightOneRowAxpysToTheBit) {
  // The absorbed decode's value pass, eight f32 rows at a time, must give exactly what one row at a time gives
  // (same fused multiply-adds, same order), for head counts that exercise the pairs and the odd head.
  Rng rng(43);
  for (int64_t width : {9, 72, 77, 576})
    for (int64_t nh : {1, 2, 3, 5, 16}) {
      const CacheRowFormat f = fmt(DType::F32, width, width);
      const EightRows e(rng, f);
      const uint8_t* const* ptr = e.ptr;
      const int64_t pstride = 11, ystride = width + 3;
      const std::vector<float> p = random_row(rng, nh * pstride, 1.0f), y0 = random_row(rng, nh * ystride, 2.0f);
      std::vector<float> fast = y0, slow = y0, a(static_cast<size_t>(nh));
      cpu::cache_axpy_rows8(f, p.data(), pstride, ptr, 0, width, fast.data(), ystride, nh);
      for (int j = 0; j < 8; ++j) {
        for (int64_t h = 0; h < nh; ++h) a[size_t(h)] = p[size_t(h * pstride + j)];
        cpu::cache_axpy_heads(f, a.data(), ptr[j], 0, width, slow.data(), ystride, nh);
      }
      for (size_t k = 0; k < fast.size(); ++k)
        ASSERT_EQ(fast[k], slow[k]) << "width " << width << " heads " << nh << " value " << k;
    }
}

INSTANTIATE_TEST_SUITE_P(Types, CacheRowTypes, ::testing::Values(DType::F32, DType::BF16, DType::F8_E4M3),
                         [](const auto& info) { return std::string(cache_type_name(info.param)); });

TEST(CacheRow, BytesPerRow) {
  EXPECT_EQ(fmt(DType::F32, 576, 512).bytes(), 576 * 4);
  EXPECT_EQ(fmt(DType::BF16, 576, 512).bytes(), 576 * 2);
  EXPECT_EQ(fmt(DType::F8_E4M3, 576, 512).bytes(), 576 + 8);  // codes + two f32 scales
}

TEST(CacheRow, F32RoundTripIsExact) {
  Rng rng(3);
  const CacheRowFormat f = fmt(DType::F32, 45, 32);
  const std::vector<float> x = random_row(rng, 45, 5.0f);
  std::vector<uint8_t> row(size_t(f.bytes()));
  std::vector<float> y(45);
  cache_row_store(f, x.data(), row.data());
  cache_row_load(f, row.data(), 0, 45, y.data());
  EXPECT_EQ(x, y);
}

// bf16 keeps 8 significant bits; round to nearest even errs by at most half a unit in the last place:
// |x^ - x| <= 2^-8 |x| (2^-9 relative to the binade's top, 2^-8 relative to its bottom: x = 1 + 2^-8 ties to 1).
TEST(CacheRow, Bf16RoundTripWithinHalfAnUlp) {
  Rng rng(5);
  const CacheRowFormat f = fmt(DType::BF16, 200, 160);
  std::vector<float> x = random_row(rng, 200, 10.0f);
  x[0] = 1.0f + 0x1p-8f;  // the worst case: a tie, rounded to even (down to 1)
  std::vector<uint8_t> row(size_t(f.bytes()));
  std::vector<float> y(200);
  cache_row_store(f, x.data(), row.data());
  cache_row_load(f, row.data(), 0, 200, y.data());
  double worst = 0.0;
  for (size_t i = 0; i < x.size(); ++i) {
    EXPECT_LE(std::fabs(double(y[i]) - double(x[i])), 0x1p-8 * std::fabs(double(x[i]))) << i;
    worst = std::max(worst, std::fabs(double(y[i]) - double(x[i])) / std::fabs(double(x[i])));
  }
  EXPECT_EQ(y[0], 1.0f);
  EXPECT_GT(worst, 0x1p-9);  // the bound is attained: 2^-9 would be wrong
}

// e4m3 keeps 4 significant bits: |code - x/s| <= 2^-4 |x/s| for |x/s| >= 2^-6 (normal codes), and <= 2^-10
// (half the subnormal step 2^-9) below. In x's units, plus the f32 roundings of x / s and code * s:
//   |x^ - x| <= max(2^-4 |x|, 2^-10 s) + 4u (|x| + 2^-10 s),   s = amax(|part|) / 448.
TEST(CacheRow, Fp8RoundTripWithinItsBoundPerPart) {
  Rng rng(7);
  const int64_t W = 300, split = 256;
  const CacheRowFormat f = fmt(DType::F8_E4M3, W, split);
  for (int rep = 0; rep < 20; ++rep) {
    std::vector<float> x = random_row(rng, W, rep % 2 ? 1e-3f : 50.0f);
    for (int64_t i = split; i < W; ++i) x[size_t(i)] *= 100.0f;  // the rope part on another scale
    std::vector<uint8_t> row(size_t(f.bytes()));
    std::vector<float> y(static_cast<size_t>(W));
    cache_row_store(f, x.data(), row.data());
    cache_row_load(f, row.data(), 0, split, y.data());
    cache_row_load(f, row.data(), split, W - split, y.data() + split);
    for (int part = 0; part < 2; ++part) {
      const int64_t b = part ? split : 0, e = part ? W : split;
      double amax = 0.0;
      for (int64_t i = b; i < e; ++i) amax = std::max(amax, std::fabs(double(x[size_t(i)])));
      const double s = cache_row_scale(f, row.data(), b);
      EXPECT_NEAR(s, amax / 448.0, amax / 448.0 * kU);
      for (int64_t i = b; i < e; ++i) {
        const double ax = std::fabs(double(x[size_t(i)]));
        const double bound = std::max(0x1p-4 * ax, 0x1p-10 * s) + 4 * kU * (ax + 0x1p-10 * s);
        EXPECT_LE(std::fabs(double(y[size_t(i)]) - double(x[size_t(i)])), bound) << "rep " << rep << " i " << i;
      }
    }
  }
}

TEST(CacheRow, Fp8IsNanFreeAndSaturates) {
  const CacheRowFormat f = fmt(DType::F8_E4M3, 6, 3);
  const float x[6] = {NAN, 1.0f, -2.0f, INFINITY, 0.0f, 0.0f};  // part 1: inf among zeros
  std::vector<uint8_t> row(size_t(f.bytes()));
  cache_row_store(f, x, row.data());
  for (int64_t i = 0; i < 6; ++i) {
    const uint8_t c = row[size_t(CacheRowFormat::kFp8Header + i)];
    EXPECT_NE(c & 0x7f, 0x7f) << i;  // never a NaN code
  }
  float y[6];
  cache_row_load(f, row.data(), 0, 3, y);
  cache_row_load(f, row.data(), 3, 3, y + 3);
  EXPECT_EQ(y[0], 0.0f);   // NaN stores 0
  EXPECT_NEAR(y[2], -2.0f, 2.0 * 2 * kU);  // the part's amax: 448 * (amax / 448), two f32 roundings
  EXPECT_EQ(y[3], 448.0f); // inf saturates (an all-zero finite part has scale 1)
  EXPECT_EQ(y[4], 0.0f);
}

// One head of absorbed MLA attention over S cached rows [latent | rope key], computed with the cache kernels as
// attend_absorb does: s_j = tau (q . x_j), p = softmax(s), ctx = sum_j p_j latent_j. Rounding the rows (x^ = x + e)
// moves each score by at most delta = tau max_j sum_i |q_i| |e_ji|; then p^_j / p_j lies in [e^-2delta, e^2delta],
// so sum_j |p^_j - p_j| <= e^2delta - 1 and
//   |ctx^ - ctx|_inf <= (e^2delta - 1) max_j |latent^_j|_inf + max_j |e_j|_inf      (+ f32 arithmetic slack),
// with |e_ji| <= eps |x_ji| + eta (eps = 2^-8, eta = 0 for bf16; eps = 2^-4, eta = 2^-10 s for fp8: the codec
// bounds above). This is the per-layer bound docs/numerics.md builds on.
TEST(CacheRow, AttentionOverRoundedRowsWithinTheScoreBound) {
  Rng rng(41);
  const int64_t kvr = 128, rope = 32, W = kvr + rope, S = 40;
  const float tau = 1.0f / std::sqrt(float(96));
  for (DType t : {DType::BF16, DType::F8_E4M3}) {
    const double eps = t == DType::BF16 ? 0x1p-8 : 0x1p-4;
    const CacheRowFormat exact = fmt(DType::F32, W, kvr), rounded = fmt(t, W, kvr);
    std::vector<std::vector<uint8_t>> rx(S), rr(S);
    std::vector<std::vector<float>> x(S);
    for (int64_t j = 0; j < S; ++j) {
      x[size_t(j)].resize(size_t(W));  // latent-like magnitudes (kv_norm output), rope keys a little larger
      for (int64_t i = 0; i < W; ++i) x[size_t(j)][size_t(i)] = rng.symmetric(i < kvr ? 1.0f : 3.0f);
      rx[size_t(j)].resize(size_t(exact.bytes()));
      rr[size_t(j)].resize(size_t(rounded.bytes()));
      cache_row_store(exact, x[size_t(j)].data(), rx[size_t(j)].data());
      cache_row_store(rounded, x[size_t(j)].data(), rr[size_t(j)].data());
    }
    for (int head = 0; head < 8; ++head) {
      std::vector<float> q(static_cast<size_t>(W));
      for (auto& v : q) v = rng.symmetric(0.5f);
      auto attend = [&](const CacheRowFormat& f, const std::vector<std::vector<uint8_t>>& rows) {
        std::vector<float> p(static_cast<size_t>(S)), ctx(static_cast<size_t>(kvr), 0.0f);
        for (int64_t j = 0; j < S; ++j)
          p[size_t(j)] = (cpu::cache_dot(f, rows[size_t(j)].data(), 0, kvr, q.data()) +
                          cpu::cache_dot(f, rows[size_t(j)].data(), kvr, rope, q.data() + kvr)) * tau;
        ops::softmax(p.data(), S);
        for (int64_t j = 0; j < S; ++j) cpu::cache_axpy(f, p[size_t(j)], rows[size_t(j)].data(), 0, kvr, ctx.data());
        return ctx;
      };
      const std::vector<float> c0 = attend(exact, rx), c1 = attend(rounded, rr);
      double delta = 0.0, emax = 0.0, lmax = 0.0, xmax = 0.0;
      for (int64_t j = 0; j < S; ++j) {
        std::vector<float> xr(static_cast<size_t>(W));
        cache_row_load(rounded, rr[size_t(j)].data(), 0, kvr, xr.data());
        cache_row_load(rounded, rr[size_t(j)].data(), kvr, rope, xr.data() + kvr);
        double d = 0.0;
        for (int64_t i = 0; i < W; ++i) {
          const double eta = t == DType::BF16 ? 0.0 : 0x1p-10 * cache_row_scale(rounded, rr[size_t(j)].data(), i);
          const double e = eps * std::fabs(double(x[size_t(j)][size_t(i)])) + eta;  // a priori, not measured
          d += std::fabs(double(q[size_t(i)])) * e;
          xmax = std::max(xmax, std::fabs(double(x[size_t(j)][size_t(i)])));
          if (i < kvr) emax = std::max(emax, e), lmax = std::max(lmax, std::fabs(double(xr[size_t(i)])));
        }
        delta = std::max(delta, double(tau) * d);
      }
      const double slack = 8.0 * double(S + W) * kU * xmax;
      const double bound = std::expm1(2.0 * delta) * lmax + emax + slack;
      double dev = 0.0;
      for (int64_t i = 0; i < kvr; ++i) dev = std::max(dev, std::fabs(double(c1[size_t(i)]) - double(c0[size_t(i)])));
      EXPECT_LE(dev, bound) << cache_type_name(t) << " head " << head;
      EXPECT_GT(dev, 0.0);
      if (head == 0) std::printf("[ %s ] attention: |dctx| %.3g, bound %.3g (delta %.3g)\n", cache_type_name(t), dev, bound, delta);
    }
  }
}

TEST(CacheRow, TypeNames) {
  DType t;
  ASSERT_TRUE(cache_type_from_name("bf16", &t));
  EXPECT_EQ(t, DType::BF16);
  ASSERT_TRUE(cache_type_from_name("fp8", &t));
  EXPECT_EQ(t, DType::F8_E4M3);
  ASSERT_TRUE(cache_type_from_name("f32", &t));
  EXPECT_EQ(t, DType::F32);
  EXPECT_FALSE(cache_type_from_name("bogus", &t));
  EXPECT_FALSE(cache_type_from_name("F32", &t));
  EXPECT_STREQ(cache_type_name(DType::F8_E4M3), "fp8");
}

}  // namespace
}  // namespace r1
