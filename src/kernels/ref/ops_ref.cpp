// Plain scalar code: the twins of kernels/cpu/ops_avx2.cpp (r1::ref) and the other ops of kernels/ops.h. exp is
// kernels/vexp.h's (<= 2 ulp, plain arithmetic the compiler vectorizes; libm's expf was ~3 % of a prompt pass).
#include <cmath>

#include "kernels/ops.h"
#include "kernels/ref/ops_ref.h"
#include "kernels/vexp.h"

namespace r1::ref {

void rmsnorm(const float* x, const float* w, float eps, int64_t n, float* y) {
  double ss = 0.0;  // double accumulation: the oracle should not be the least accurate party
  for (int64_t i = 0; i < n; ++i) ss += double(x[i]) * double(x[i]);
  const float r = float(1.0 / std::sqrt(ss / double(n) + double(eps)));
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] * r * w[i];
}

void softmax(float* x, int64_t n) {
  float m = -INFINITY;
  for (int64_t i = 0; i < n; ++i) m = x[i] > m ? x[i] : m;
  for (int64_t i = 0; i < n; ++i) x[i] = vexp(x[i] - m);
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) sum += x[i];
  const float inv = float(1.0 / sum);
  for (int64_t i = 0; i < n; ++i) x[i] *= inv;
}

void swiglu(const float* a, const float* b, int64_t n, float* y) {
  for (int64_t i = 0; i < n; ++i) y[i] = a[i] / (1.0f + vexp(-a[i])) * b[i];
}

void exp_scaled(const float* x, float shift, float scale, int64_t n, float* y) {
  for (int64_t i = 0; i < n; ++i) y[i] = vexp((x[i] - shift) * scale);
}

}  // namespace r1::ref

namespace r1::ops {

float dot(const float* a, const float* b, int64_t n) {
  float s = 0.0f;
  for (int64_t i = 0; i < n; ++i) s += a[i] * b[i];
  return s;
}

void axpy(float s, const float* x, int64_t n, float* y) {
  for (int64_t i = 0; i < n; ++i) y[i] += s * x[i];
}

void rope_interleaved(float* x, const float* c, const float* s, int64_t n) {
  for (int64_t i = 0; i < n / 2; ++i) {
    const float a = x[2 * i], b = x[2 * i + 1];
    x[2 * i] = a * c[i] - b * s[i];
    x[2 * i + 1] = a * s[i] + b * c[i];
  }
}

void rope_neox(float* x, const float* c, const float* s, int64_t n) {
  const int64_t h = n / 2;
  for (int64_t i = 0; i < h; ++i) {
    const float a = x[i], b = x[i + h];
    x[i] = a * c[i] - b * s[i];
    x[i + h] = a * s[i] + b * c[i];
  }
}

}  // namespace r1::ops
