#include <immintrin.h>

#include <cmath>

#include "core/dtype.h"
#include "kernels/cpu/dot.h"
#include "kernels/cpu/quant_simd.h"

namespace r1::cpu {

// Weight rows are streamed from memory in order; a software prefetch this far ahead (8 KiB, into the next rows)
// keeps more lines in flight than the hardware prefetcher does on its own (+15-25 % on f32 decode here).
constexpr int64_t kPrefetch = 2048;

namespace {

using detail::hsum;  // kernels/cpu/quant_simd.h

using detail::load_bf16;  // kernels/cpu/quant_simd.h

// 8 e4m3 bytes -> 8 f32. Placing the 7 magnitude bits at f32 bits 20..26 gives a float whose value is the
// e4m3 value times 2^-120 (subnormals included: they land on f32 subnormals); one multiply rebiases.
inline __m256 load_fp8(const uint8_t* p) {
  const __m256i b = _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)));
  const __m256i mag = _mm256_slli_epi32(_mm256_and_si256(b, _mm256_set1_epi32(0x7f)), 20);
  const __m256i sign = _mm256_slli_epi32(_mm256_and_si256(b, _mm256_set1_epi32(0x80)), 24);
  const __m256 v = _mm256_mul_ps(_mm256_castsi256_ps(mag), _mm256_set1_ps(0x1p120f));
  return _mm256_or_ps(v, _mm256_castsi256_ps(sign));
}

}  // namespace

namespace {

// One row against one vector: two accumulators hide the FMA latency. `load(i)` gives 8 weights as f32,
// `scalar(j)` one weight (for the tail).
template <typename Load, typename Scalar>
float dot_one(Load load, Scalar scalar, const float* x, int64_t b0, int64_t b1) {
  // Four FMA chains: enough to run at the FMA rate, not the FMA latency, when the row sits in L1.
  __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
  int64_t i = b0;
  for (; i + 32 <= b1; i += 32) {
    a0 = _mm256_fmadd_ps(load(i), _mm256_loadu_ps(x + i), a0);
    a1 = _mm256_fmadd_ps(load(i + 8), _mm256_loadu_ps(x + i + 8), a1);
    a2 = _mm256_fmadd_ps(load(i + 16), _mm256_loadu_ps(x + i + 16), a2);
    a3 = _mm256_fmadd_ps(load(i + 24), _mm256_loadu_ps(x + i + 24), a3);
  }
  for (; i + 8 <= b1; i += 8) a0 = _mm256_fmadd_ps(load(i), _mm256_loadu_ps(x + i), a0);
  float s = hsum(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
  // Scalar tails are explicit fma: left to the compiler, contraction could differ between the kernels a sequence
  // meets alone and batched (it did in the sanitizer build), breaking batch invariance in the last bit.
  for (; i < b1; ++i) s = std::fma(scalar(i), x[i], s);
  return s;
}

inline __m256 load_f16(const uint16_t* p) { return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))); }

}  // namespace

float dot_f32(const float* w, const float* x, int64_t n) {
  return dot_one([w](int64_t i) { return _mm256_loadu_ps(w + i); }, [w](int64_t j) { return w[j]; }, x, 0, n);
}

float dot_f32_weights(const float* w, const float* x, int64_t n) {
  return dot_one(
      [w](int64_t i) {
        if ((i & 15) == 0) _mm_prefetch(reinterpret_cast<const char*>(w + i + kPrefetch), _MM_HINT_NTA);
        return _mm256_loadu_ps(w + i);
      },
      [w](int64_t j) { return w[j]; }, x, 0, n);
}

void dot2_f32_weights(const float* w, const float* x0, const float* x1, int64_t n, float* out0, float* out1) {
  __m256 a[4], b[4];
  for (int u = 0; u < 4; ++u) a[u] = b[u] = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    _mm_prefetch(reinterpret_cast<const char*>(w + i + kPrefetch), _MM_HINT_NTA);
    _mm_prefetch(reinterpret_cast<const char*>(w + i + 16 + kPrefetch), _MM_HINT_NTA);
    for (int u = 0; u < 4; ++u) {
      const __m256 wv = _mm256_loadu_ps(w + i + 8 * u);
      a[u] = _mm256_fmadd_ps(wv, _mm256_loadu_ps(x0 + i + 8 * u), a[u]);
      b[u] = _mm256_fmadd_ps(wv, _mm256_loadu_ps(x1 + i + 8 * u), b[u]);
    }
  }
  for (; i + 8 <= n; i += 8) {
    const __m256 wv = _mm256_loadu_ps(w + i);
    a[0] = _mm256_fmadd_ps(wv, _mm256_loadu_ps(x0 + i), a[0]);
    b[0] = _mm256_fmadd_ps(wv, _mm256_loadu_ps(x1 + i), b[0]);
  }
  float s0 = hsum(_mm256_add_ps(_mm256_add_ps(a[0], a[1]), _mm256_add_ps(a[2], a[3])));
  float s1 = hsum(_mm256_add_ps(_mm256_add_ps(b[0], b[1]), _mm256_add_ps(b[2], b[3])));
  for (; i < n; ++i) s0 = std::fma(w[i], x0[i], s0), s1 = std::fma(w[i], x1[i], s1);
  *out0 = s0;
  *out1 = s1;
}


namespace {

// Row [b0, b1) of w (loaded 8 at a time by `load`) against nx vectors; adds the block sums into out[k]*scale.
// Two accumulators per vector (two FMA chains in flight: the FMA latency, not the loads, would bound one), for
// every nx: each vector's sum is computed the same way whatever the others, so a sequence decodes to the same
// numbers alone (nx = 1) or batched.
// pf (optional): the f32 weights, prefetched kPrefetch floats ahead (into the next rows: rows are adjacent).
template <int NX, typename Load, typename Scalar>
void dot_block(Load load, Scalar scalar, const float* const* x, int64_t b0, int64_t b1, float scale, float* out,
               const float* pf = nullptr) {
  constexpr int U = 2;
  __m256 acc[U][NX];
  for (int u = 0; u < U; ++u)
    for (int k = 0; k < NX; ++k) acc[u][k] = _mm256_setzero_ps();
  int64_t i = b0;
  for (; i + 8 * U <= b1; i += 8 * U) {
    if (pf) _mm_prefetch(reinterpret_cast<const char*>(pf + i + kPrefetch), _MM_HINT_T0);
    for (int u = 0; u < U; ++u) {
      const __m256 wv = load(i + 8 * u);
      for (int k = 0; k < NX; ++k) acc[u][k] = _mm256_fmadd_ps(wv, _mm256_loadu_ps(x[k] + i + 8 * u), acc[u][k]);
    }
  }
  for (; i + 8 <= b1; i += 8) {
    const __m256 wv = load(i);
    for (int k = 0; k < NX; ++k) acc[0][k] = _mm256_fmadd_ps(wv, _mm256_loadu_ps(x[k] + i), acc[0][k]);
  }
  for (int k = 0; k < NX; ++k) {
    __m256 a = acc[0][k];
    for (int u = 1; u < U; ++u) a = _mm256_add_ps(a, acc[u][k]);
    float s = hsum(a);
    for (int64_t j = i; j < b1; ++j) s = std::fma(scalar(j), x[k][j], s);
    out[k] += s * scale;
  }
}

template <typename Load, typename Scalar>
void dot4(Load load, Scalar scalar, const float* const* x, int nx, int64_t b0, int64_t b1, float scale, float* out,
          const float* pf = nullptr) {
  switch (nx) {
    case 1: return dot_block<1>(load, scalar, x, b0, b1, scale, out, pf);
    case 2: return dot_block<2>(load, scalar, x, b0, b1, scale, out, pf);
    case 3: return dot_block<3>(load, scalar, x, b0, b1, scale, out, pf);
    default: return dot_block<4>(load, scalar, x, b0, b1, scale, out, pf);
  }
}

}  // namespace

void dot4_f32(const float* w, const float* const* x, int nx, int64_t n, float* out) {
  for (int k = 0; k < nx; ++k) out[k] = 0.0f;
  dot4([w](int64_t i) { return _mm256_loadu_ps(w + i); }, [w](int64_t j) { return w[j]; }, x, nx, 0, n, 1.0f, out, w);
}

void dot4_bf16(const uint16_t* w, const float* const* x, int nx, int64_t n, float* out) {
  for (int k = 0; k < nx; ++k) out[k] = 0.0f;
  dot4([w](int64_t i) { return load_bf16(w + i); }, [w](int64_t j) { return bf16_to_f32(w[j]); }, x, nx, 0, n, 1.0f, out);
}

void dot4_f16(const uint16_t* w, const float* const* x, int nx, int64_t n, float* out) {
  for (int k = 0; k < nx; ++k) out[k] = 0.0f;
  dot4([w](int64_t i) { return load_f16(w + i); }, [w](int64_t j) { return f16_to_f32(w[j]); }, x, nx, 0, n, 1.0f, out);
}

void dot4_fp8(const uint8_t* w, const float* scale, int64_t block, const float* const* x, int nx, int64_t n, float* out) {
  for (int k = 0; k < nx; ++k) out[k] = 0.0f;
  const float* lut = fp8_e4m3_table();
  for (int64_t b0 = 0; b0 < n; b0 += block)
    dot4([w](int64_t i) { return load_fp8(w + i); }, [w, lut](int64_t j) { return lut[w[j]]; }, x, nx, b0,
         b0 + block < n ? b0 + block : n, scale[b0 / block], out);
}

// One vector: the nx = 1 case of the same kernels (the same sums as in a batch).
float dot_bf16(const uint16_t* w, const float* x, int64_t n) {
  float out;
  dot4_bf16(w, &x, 1, n, &out);
  return out;
}

float dot_f16(const uint16_t* w, const float* x, int64_t n) {
  float out;
  dot4_f16(w, &x, 1, n, &out);
  return out;
}

float dot_fp8(const uint8_t* w, const float* scale, int64_t block, const float* x, int64_t n) {
  float out;
  dot4_fp8(w, scale, block, &x, 1, n, &out);
  return out;
}

namespace {

template <typename Load, typename Scalar>
void axpy_with(float a, Load load, Scalar scalar, int64_t n, float* y) {
  const __m256 av = _mm256_set1_ps(a);
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    _mm256_storeu_ps(y + i, _mm256_fmadd_ps(av, load(i), _mm256_loadu_ps(y + i)));
    _mm256_storeu_ps(y + i + 8, _mm256_fmadd_ps(av, load(i + 8), _mm256_loadu_ps(y + i + 8)));
  }
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_fmadd_ps(av, load(i), _mm256_loadu_ps(y + i)));
  for (; i < n; ++i) y[i] = std::fma(a, scalar(i), y[i]);
}

}  // namespace

void axpy_bf16(float a, const uint16_t* x, int64_t n, float* y) {
  axpy_with(a, [x](int64_t i) { return load_bf16(x + i); }, [x](int64_t j) { return bf16_to_f32(x[j]); }, n, y);
}

void axpy_fp8(float a, const uint8_t* x, int64_t n, float* y) {
  const float* lut = fp8_e4m3_table();
  axpy_with(a, [x](int64_t i) { return load_fp8(x + i); }, [x, lut](int64_t j) { return lut[x[j]]; }, n, y);
}

namespace {

// out[h] = sum_i v[i] * q_h[i] for HN query vectors q_h = q + h * qstride: each 8 values of the row are loaded
// (and converted) once for all HN heads.
template <int HN, typename Load, typename Scalar>
void dot_heads_block(Load load, Scalar scalar, int64_t n, const float* q, int64_t qstride, float scale, float* out) {
  __m256 acc[HN];
  for (int k = 0; k < HN; ++k) acc[k] = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 v = load(i);
    for (int k = 0; k < HN; ++k) acc[k] = _mm256_fmadd_ps(v, _mm256_loadu_ps(q + k * qstride + i), acc[k]);
  }
  for (int k = 0; k < HN; ++k) {
    float s = hsum(acc[k]);
    for (int64_t j = i; j < n; ++j) s = std::fma(scalar(j), q[k * qstride + j], s);
    out[k] = s * scale;
  }
}

template <typename Load, typename Scalar>
void dot_heads_with(Load load, Scalar scalar, int64_t n, const float* q, int64_t qstride, int64_t nh, float scale,
                    float* out) {
  int64_t h = 0;
  for (; h + 4 <= nh; h += 4) dot_heads_block<4>(load, scalar, n, q + h * qstride, qstride, scale, out + h);
  switch (nh - h) {
    case 3: return dot_heads_block<3>(load, scalar, n, q + h * qstride, qstride, scale, out + h);
    case 2: return dot_heads_block<2>(load, scalar, n, q + h * qstride, qstride, scale, out + h);
    case 1: return dot_heads_block<1>(load, scalar, n, q + h * qstride, qstride, scale, out + h);
    default: return;
  }
}

// y_h[i] += a[h] * v[i] for nh accumulators y_h = y + h * ystride, each 8 values loaded once for all of them.
template <typename Load, typename Scalar>
void axpy_heads_with(const float* a, Load load, Scalar scalar, int64_t n, float* y, int64_t ystride, int64_t nh) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 v = load(i);
    for (int64_t h = 0; h < nh; ++h) {
      float* yh = y + h * ystride + i;
      _mm256_storeu_ps(yh, _mm256_fmadd_ps(_mm256_set1_ps(a[h]), v, _mm256_loadu_ps(yh)));
    }
  }
  for (; i < n; ++i) {
    const float v = scalar(i);
    for (int64_t h = 0; h < nh; ++h) y[h * ystride + i] = std::fma(a[h], v, y[h * ystride + i]);
  }
}

}  // namespace

void dot_heads_f32(const float* v, int64_t n, const float* q, int64_t qstride, int64_t nh, float* out) {
  dot_heads_with([v](int64_t i) { return _mm256_loadu_ps(v + i); }, [v](int64_t j) { return v[j]; }, n, q, qstride,
                 nh, 1.0f, out);
}

void dot_heads_bf16(const uint16_t* v, int64_t n, const float* q, int64_t qstride, int64_t nh, float* out) {
  dot_heads_with([v](int64_t i) { return load_bf16(v + i); }, [v](int64_t j) { return bf16_to_f32(v[j]); }, n, q,
                 qstride, nh, 1.0f, out);
}

void dot_heads_fp8(const uint8_t* v, float scale, int64_t n, const float* q, int64_t qstride, int64_t nh, float* out) {
  const float* lut = fp8_e4m3_table();
  dot_heads_with([v](int64_t i) { return load_fp8(v + i); }, [v, lut](int64_t j) { return lut[v[j]]; }, n, q, qstride,
                 nh, scale, out);
}

void axpy_heads_f32(const float* a, const float* v, int64_t n, float* y, int64_t ystride, int64_t nh) {
  axpy_heads_with(a, [v](int64_t i) { return _mm256_loadu_ps(v + i); }, [v](int64_t j) { return v[j]; }, n, y, ystride, nh);
}

void axpy_heads_bf16(const float* a, const uint16_t* v, int64_t n, float* y, int64_t ystride, int64_t nh) {
  axpy_heads_with(a, [v](int64_t i) { return load_bf16(v + i); }, [v](int64_t j) { return bf16_to_f32(v[j]); }, n, y,
                  ystride, nh);
}

void axpy_heads_fp8(const float* a, const uint8_t* v, int64_t n, float* y, int64_t ystride, int64_t nh) {
  const float* lut = fp8_e4m3_table();
  axpy_heads_with(a, [v](int64_t i) { return load_fp8(v + i); }, [v, lut](int64_t j) { return lut[v[j]]; }, n, y,
                  ystride, nh);
}

void axpy_rows8_f32(const float* p, int64_t pstride, const float* const* v, int64_t n, float* y, int64_t ystride,
                    int64_t nh) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256 r[8];
    for (int j = 0; j < 8; ++j) r[j] = _mm256_loadu_ps(v[j] + i);
    int64_t h = 0;
    for (; h + 2 <= nh; h += 2) {  // two heads at a time: two independent chains
      const float* p0 = p + h * pstride;
      const float* p1 = p0 + pstride;
      float* y0 = y + h * ystride + i;
      float* y1 = y0 + ystride;
      __m256 a0 = _mm256_loadu_ps(y0), a1 = _mm256_loadu_ps(y1);
      for (int j = 0; j < 8; ++j) {
        a0 = _mm256_fmadd_ps(_mm256_set1_ps(p0[j]), r[j], a0);
        a1 = _mm256_fmadd_ps(_mm256_set1_ps(p1[j]), r[j], a1);
      }
      _mm256_storeu_ps(y0, a0);
      _mm256_storeu_ps(y1, a1);
    }
    if (h < nh) {
      const float* p0 = p + h * pstride;
      float* y0 = y + h * ystride + i;
      __m256 a0 = _mm256_loadu_ps(y0);
      for (int j = 0; j < 8; ++j) a0 = _mm256_fmadd_ps(_mm256_set1_ps(p0[j]), r[j], a0);
      _mm256_storeu_ps(y0, a0);
    }
  }
  for (; i < n; ++i)
    for (int64_t h = 0; h < nh; ++h) {
      float acc = y[h * ystride + i];
      for (int j = 0; j < 8; ++j) acc = std::fma(p[h * pstride + j], v[j][i], acc);
      y[h * ystride + i] = acc;
    }
}

void dot_rows8_f32(const float* const* v, int64_t n, const float* q, float* out) {
  __m256 a[8];
  for (int j = 0; j < 8; ++j) a[j] = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 qv = _mm256_loadu_ps(q + i);
    for (int j = 0; j < 8; ++j) a[j] = _mm256_fmadd_ps(_mm256_loadu_ps(v[j] + i), qv, a[j]);
  }
  // Eight horizontal sums at once: pairwise adds leave [rows 0-3 | rows 4-7] halves to be added.
  const __m256 s0123 = _mm256_hadd_ps(_mm256_hadd_ps(a[0], a[1]), _mm256_hadd_ps(a[2], a[3]));
  const __m256 s4567 = _mm256_hadd_ps(_mm256_hadd_ps(a[4], a[5]), _mm256_hadd_ps(a[6], a[7]));
  const __m256 sums = _mm256_add_ps(_mm256_permute2f128_ps(s0123, s4567, 0x20), _mm256_permute2f128_ps(s0123, s4567, 0x31));
  _mm256_storeu_ps(out, sums);
  for (int j = 0; j < 8; ++j)
    for (int64_t k = i; k < n; ++k) out[j] = std::fma(v[j][k], q[k], out[j]);
}

}  // namespace r1::cpu
