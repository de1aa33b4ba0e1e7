// AVX2 versions of the row-wise ops of kernels/ops.h that sit on the decode path at every layer: the same
// arithmetic as the twins in kernels/ref/ops_ref.cpp (exp eight lanes at a time, kernels/cpu/vexp_avx2.h, with
// the scalar vexp's bits: SwiGLU is identical to its twin) except that the double sums run in four vector chains
// (index order would make them latency-bound: one add per 4 cycles). Per-element results are identical given
// the same sum; the sums differ from the twins' by rounding in double only (~n * 2^-53 relative).
#include <immintrin.h>

#include <cmath>

#include "kernels/ops.h"
#include "kernels/cpu/vexp_avx2.h"
#include "kernels/vexp.h"

namespace r1::ops {

namespace {

// sum_i f(x[i]) in double; f squares (Square) or not. Four chains of four doubles, then the chains in order.
template <bool Square>
double sum_double(const float* x, int64_t n) {
  __m256d a[4] = {_mm256_setzero_pd(), _mm256_setzero_pd(), _mm256_setzero_pd(), _mm256_setzero_pd()};
  int64_t i = 0;
  for (; i + 16 <= n; i += 16)
    for (int k = 0; k < 4; ++k) {
      const __m256d v = _mm256_cvtps_pd(_mm_loadu_ps(x + i + 4 * k));
      a[k] = Square ? _mm256_fmadd_pd(v, v, a[k]) : _mm256_add_pd(a[k], v);
    }
  for (; i + 4 <= n; i += 4) {
    const __m256d v = _mm256_cvtps_pd(_mm_loadu_ps(x + i));
    a[0] = Square ? _mm256_fmadd_pd(v, v, a[0]) : _mm256_add_pd(a[0], v);
  }
  const __m256d s = _mm256_add_pd(_mm256_add_pd(a[0], a[1]), _mm256_add_pd(a[2], a[3]));
  alignas(32) double lanes[4];
  _mm256_store_pd(lanes, s);
  double total = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
  for (; i < n; ++i) total += Square ? double(x[i]) * double(x[i]) : double(x[i]);
  return total;
}

}  // namespace

void rmsnorm(const float* x, const float* w, float eps, int64_t n, float* y) {
  const float r = float(1.0 / std::sqrt(sum_double<true>(x, n) / double(n) + double(eps)));
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] * r * w[i];
}

void softmax(float* x, int64_t n) {
  __m256 mv = _mm256_set1_ps(-INFINITY);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) mv = _mm256_max_ps(mv, _mm256_loadu_ps(x + i));
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, mv);
  float m = -INFINITY;
  for (float v : lanes) m = v > m ? v : m;
  for (; i < n; ++i) m = x[i] > m ? x[i] : m;
  const __m256 mb = _mm256_set1_ps(m);
  int64_t j = 0;
  for (; j + 8 <= n; j += 8) _mm256_storeu_ps(x + j, cpu::vexp8(_mm256_sub_ps(_mm256_loadu_ps(x + j), mb)));
  for (; j < n; ++j) x[j] = vexp(x[j] - m);
  const float inv = float(1.0 / sum_double<false>(x, n));
  for (int64_t j = 0; j < n; ++j) x[j] *= inv;
}

void swiglu(const float* a, const float* b, int64_t n, float* y) {
  const __m256 one = _mm256_set1_ps(1.0f), neg = _mm256_set1_ps(-0.0f);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 av = _mm256_loadu_ps(a + i);
    const __m256 e = cpu::vexp8(_mm256_xor_ps(av, neg));
    _mm256_storeu_ps(y + i, _mm256_mul_ps(_mm256_div_ps(av, _mm256_add_ps(one, e)), _mm256_loadu_ps(b + i)));
  }
  for (; i < n; ++i) y[i] = a[i] / (1.0f + vexp(-a[i])) * b[i];
}

void exp_scaled(const float* x, float shift, float scale, int64_t n, float* y) {
  const __m256 sh = _mm256_set1_ps(shift), sc = _mm256_set1_ps(scale);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps(y + i, cpu::vexp8(_mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(x + i), sh), sc)));
  for (; i < n; ++i) y[i] = vexp((x[i] - shift) * scale);
}

}  // namespace r1::ops
