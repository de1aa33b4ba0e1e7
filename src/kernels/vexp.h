// exp for f32 loops (training softmax, cross-entropy, SiLU; the sampler), in plain arithmetic (GCC leaves these
// loops scalar: the decode path's softmax and SwiGLU use the AVX2 twin, kernels/cpu/vexp_avx2.h); std::exp is a libm call per element and was ~15 % of a train-tiny step. Double (the
// finite-difference gradient checks) keeps std::exp.
//
// Method (Cody–Waite range reduction, as Cephes expf): x = n ln2 + r with n = round(x / ln2), |r| ≤ ln2 / 2,
// ln2 split into a short C1 (exact n * C1 for |n| ≤ 128) and a correction C2; exp(r) = 1 + r + r² p(r) with a
// degree-5 polynomial p; 2^n is put into the exponent bits. Relative error ≤ 2 ulp over the normal range
// (checked against std::exp in autograd_tests). x < -87.33 gives 0 (exp underflows below FLT_MIN there),
// x > 88.37 gives the value at 88.37 (3e38, just under FLT_MAX); NaN stays NaN.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

namespace r1 {

inline float vexp(float x) {
  const float lo = -87.33654f, hi = 88.37626f;
  const float xc = x < lo ? lo : (x > hi ? hi : x);
  // n = round(xc / ln2) by adding and subtracting 1.5 * 2^23 (std::floor would block vectorization under
  // GCC's default -ftrapping-math); |xc / ln2| < 128, far inside the trick's range.
  // The multiply-adds are written as std::fma (one rounding each, as the FMA instruction) so that vexp8 in
  // kernels/cpu/vexp_avx2.h, which does the same operations eight at a time, gives the same bits.
  const float magic = 12582912.0f;
  const float n = std::fma(xc, 1.44269504088896341f, magic) - magic;
  const float r = std::fma(n, 2.12194440e-4f, std::fma(-n, 0.693359375f, xc));
  const float z = r * r;
  float p = 1.9875691500e-4f;
  p = std::fma(p, r, 1.3981999507e-3f);
  p = std::fma(p, r, 8.3334519073e-3f);
  p = std::fma(p, r, 4.1665795894e-2f);
  p = std::fma(p, r, 1.6666665459e-1f);
  p = std::fma(p, r, 5.0000001201e-1f);
  const float y = std::fma(p, z, r) + 1.0f;
  const int32_t bits = (int32_t(n) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  const float out = y * scale;
  return x < lo ? 0.0f : (x != x ? x : out);
}

inline double vexp(double x) { return std::exp(x); }

}  // namespace r1
