// The AVX2 row ops (kernels/cpu/ops_avx2.cpp) against their scalar twins (kernels/ref/ops_ref.h). They differ
// only in the order of a double sum (relative difference <= n 2^-53), which can move the f32 factor computed
// from it (1 / sqrt for rmsnorm, 1 / sum for softmax) by at most one rounding: each output is within 2^-23 of
// the twin's, relative. Lengths cover the vector body, the 4-wide steps and the scalar tail.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/rng.h"
#include "kernels/ops.h"
#include "kernels/ref/ops_ref.h"

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
    if (n > 3) EXPECT_EQ(fast[2], 0.0f);
  }
}

}  // namespace
}  // namespace r1
