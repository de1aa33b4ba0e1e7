// The AVX2 row ops (kernels/cpu/ops_avx2.cpp) against their scalar twins (kernels/ref/ops_ref.h). They differ
// only in the order of a double sum (relative difference <= n 2^-53), which can move the f32 factor computed
// from it (1 / sqrt for rmsnorm, 1 / sum for softmax) by at most one rounding: each output is within 2^-23 of
// the twin's, relative. Lengths cover the vector body, the 4-wide steps and the scalar tail.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/rng.h"
#include "kernels/cpu/vexp_avx2.h"
#include "kernels/ops.h"
#include "kernels/ref/ops_ref.h"
#include "kernels/vexp.h"

namespace r1 {
namespace {

constexpr double kOneRounding = 0x1p-23;

TEST(RowOps, RmsnormMatchesScalarTwin) {
  Rng rng(5);
  for (int64_t n : {1, 3, 4, 7, 16, 17, 72, 200, 2048, 7168}) {
    std::vector<float> x(static_cast<size_t>(n)), w(x.size()), fast(x.size()), slow(x.size());
    for (auto& v : x) v = rng.symmetric(3.0f);
    for (auto& v : w) v = 0.5f + rng.uniform();
    ops::rmsnorm(x.data(), w.data(), 1e-6f, n, fast.data());
    ref::rmsnorm(x.data(), w.data(), 1e-6f, n, slow.data());
    for (size_t i = 0; i < x.size(); ++i)
      ASSERT_LE(std::fabs(double(fast[i]) - double(slow[i])), kOneRounding * std::fabs(double(slow[i]))) << n << " " << i;
    std::vector<float> inplace = x;  // x and y may alias
    ops::rmsnorm(inplace.data(), w.data(), 1e-6f, n, inplace.data());
    EXPECT_EQ(inplace, fast) << n;
  }
}

TEST(RowOps, SoftmaxMatchesScalarTwin) {
  Rng rng(6);
  for (int64_t n : {1, 2, 5, 8, 9, 16, 31, 100, 1000, 4096}) {
    std::vector<float> x(static_cast<size_t>(n));
    for (auto& v : x) v = rng.symmetric(20.0f);
    if (n > 3) x[2] = -INFINITY;  // a masked position: exp gives 0
    std::vector<float> fast = x, slow = x;
    ops::softmax(fast.data(), n);
    ref::softmax(slow.data(), n);
    double total = 0.0;
    for (size_t i = 0; i < x.size(); ++i) {
      ASSERT_LE(std::fabs(double(fast[i]) - double(slow[i])), kOneRounding * std::fabs(double(slow[i]))) << n << " " << i;
      total += fast[i];
    }
    EXPECT_NEAR(total, 1.0, 1e-5) << n;
    if (n > 3) {
      EXPECT_EQ(fast[2], 0.0f);
    }
  }
}

TEST(OpsKernels, Vexp8GivesTheScalarVexpBitsInEveryLane) {
  // A sweep of the whole range in small steps, the clamps' edges and the special values.
  std::vector<float> xs = {-INFINITY, INFINITY, NAN, -0.0f, 0.0f, -87.33654f, -87.3365f, -87.34f, 88.37626f,
                           88.3762f, 88.38f, -1e30f, 1e30f, 1e-30f, -1e-30f};
  for (float x = -100.0f; x < 100.0f; x += 0.00731f) xs.push_back(x);
  while (xs.size() % 8) xs.push_back(1.0f);
  for (size_t i = 0; i < xs.size(); i += 8) {
    alignas(32) float out[8];
    _mm256_store_ps(out, cpu::vexp8(_mm256_loadu_ps(&xs[i])));
    for (size_t k = 0; k < 8; ++k) {
      const float want = vexp(xs[i + k]);
      if (std::isnan(want)) {
        EXPECT_TRUE(std::isnan(out[k])) << xs[i + k];
      } else {
        EXPECT_EQ(out[k], want) << xs[i + k];
      }
    }
  }
}

TEST(OpsKernels, SwigluEqualsItsTwin) {
  Rng rng(12);
  for (int64_t n : {1, 7, 8, 9, 16, 300, 1408}) {
    std::vector<float> a(static_cast<size_t>(n)), b(a.size()), fast(a.size()), slow(a.size());
    for (auto& v : a) v = rng.symmetric(30.0f);
    for (auto& v : b) v = rng.symmetric(3.0f);
    ops::swiglu(a.data(), b.data(), n, fast.data());
    ref::swiglu(a.data(), b.data(), n, slow.data());
    for (size_t i = 0; i < a.size(); ++i) ASSERT_EQ(fast[i], slow[i]) << n << " " << i;
    std::vector<float> in_place = a;  // y aliasing a, as the MLP calls it
    ops::swiglu(in_place.data(), b.data(), n, in_place.data());
    EXPECT_EQ(in_place, slow) << n;
  }
}

TEST(OpsKernels, ExpScaledEqualsItsTwin) {
  Rng rng(13);
  for (int64_t n : {1, 7, 8, 9, 100, 1001}) {
    std::vector<float> x(static_cast<size_t>(n)), fast(x.size()), slow(x.size());
    for (auto& v : x) v = rng.symmetric(40.0f);
    for (float scale : {1.0f, 1.0f / 0.7f, 10.0f}) {
      ops::exp_scaled(x.data(), 3.5f, scale, n, fast.data());
      ref::exp_scaled(x.data(), 3.5f, scale, n, slow.data());
      EXPECT_EQ(fast, slow) << n << " " << scale;
    }
  }
}

}  // namespace
}  // namespace r1
