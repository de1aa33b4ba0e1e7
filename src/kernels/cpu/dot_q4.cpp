// q4 weight rows x int8 activation blocks (AVX2, VNNI when compiled for it) and q4 dequantization.
// Twins: kernels/ref/quant_ref.cpp.
#include <immintrin.h>

#include "core/dtype.h"
#include "kernels/cpu/dot_quant.h"
#include "kernels/cpu/quant_simd.h"

namespace r1::cpu {

using detail::dot_u8s8;
using detail::hsum;
using detail::load32;

namespace {

// The 32 stored nibbles u (weights 0..15 in the low nibbles, 16..31 in the high ones) as 32 bytes in order.
inline __m256i unpack_q4(const BlockQ4& w) {
  const __m128i raw = _mm_loadu_si128(reinterpret_cast<const __m128i*>(w.qs));
  return _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(raw, 4), raw), _mm256_set1_epi8(0x0f));
}

// acc += lanes of sum((u - 8) * x) * d_w * d_x: u is the unsigned operand as stored, and the -8 * sum(x) per
// lane (precomputed with x) is the starting value, so the lane sums are exact integers.
template <bool V>
inline __m256 block_q4(__m256i u, float dw, const BlockQ8X& x, __m256 acc) {
  const __m256i lanes = dot_u8s8<V>(load32(x.neg8sum), u, load32(x.q));
  return _mm256_fmadd_ps(_mm256_cvtepi32_ps(lanes), _mm256_set1_ps(dw * x.d), acc);
}

template <bool V>
float dot_q4_impl(const BlockQ4* w, const BlockQ8X* x, int64_t nb) {
  __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
  int64_t b = 0;
  for (; b + 2 <= nb; b += 2) {
    a0 = block_q4<V>(unpack_q4(w[b]), _cvtsh_ss(w[b].d), x[b], a0);
    a1 = block_q4<V>(unpack_q4(w[b + 1]), _cvtsh_ss(w[b + 1].d), x[b + 1], a1);
  }
  if (b < nb) a0 = block_q4<V>(unpack_q4(w[b]), _cvtsh_ss(w[b].d), x[b], a0);
  return hsum(_mm256_add_ps(a0, a1));
}

template <bool V, int NX>
void dot4_q4_impl(const BlockQ4* w, const BlockQ8X* const* x, int64_t nb, float* out) {
  // Even blocks into acc[0], odd ones into acc[1], as dot_q4_impl does: each vector's sum is the one-vector sum.
  __m256 acc[2][NX];
  for (int k = 0; k < NX; ++k) acc[0][k] = acc[1][k] = _mm256_setzero_ps();
  for (int64_t b = 0; b < nb; ++b) {
    const __m256i u = unpack_q4(w[b]);
    const float dw = _cvtsh_ss(w[b].d);
    for (int k = 0; k < NX; ++k) acc[b & 1][k] = block_q4<V>(u, dw, x[k][b], acc[b & 1][k]);
  }
  for (int k = 0; k < NX; ++k) out[k] = hsum(_mm256_add_ps(acc[0][k], acc[1][k]));
}

template <bool V>
void dot4_q4_dispatch(const BlockQ4* w, const BlockQ8X* const* x, int nx, int64_t nb, float* out) {
  switch (nx) {
    case 1: return dot4_q4_impl<V, 1>(w, x, nb, out);
    case 2: return dot4_q4_impl<V, 2>(w, x, nb, out);
    case 3: return dot4_q4_impl<V, 3>(w, x, nb, out);
    default: return dot4_q4_impl<V, 4>(w, x, nb, out);
  }
}

}  // namespace

float dot_q4_avx2(const BlockQ4* w, const BlockQ8X* x, int64_t nb) { return dot_q4_impl<false>(w, x, nb); }
void dot4_q4_avx2(const BlockQ4* w, const BlockQ8X* const* x, int nx, int64_t nb, float* out) {
  dot4_q4_dispatch<false>(w, x, nx, nb, out);
}
float dot_q4(const BlockQ4* w, const BlockQ8X* x, int64_t nb) { return dot_q4_impl<R1_HAVE_VNNI != 0>(w, x, nb); }
void dot4_q4(const BlockQ4* w, const BlockQ8X* const* x, int nx, int64_t nb, float* out) {
  dot4_q4_dispatch<R1_HAVE_VNNI != 0>(w, x, nx, nb, out);
}

void dequant_q4(const BlockQ4* w, int64_t n, float* out) {
  const int64_t full = n / kQBlock;
  for (int64_t b = 0; b < full; ++b) {
    const __m256 d = _mm256_set1_ps(_cvtsh_ss(w[b].d));
    const __m256i q = _mm256_sub_epi8(unpack_q4(w[b]), _mm256_set1_epi8(8));  // signed, in [-8, 7]
    const __m128i lo = _mm256_castsi256_si128(q), hi = _mm256_extracti128_si256(q, 1);
    const __m128i parts[4] = {lo, _mm_srli_si128(lo, 8), hi, _mm_srli_si128(hi, 8)};
    for (int k = 0; k < 4; ++k)
      _mm256_storeu_ps(out + b * kQBlock + 8 * k, _mm256_mul_ps(d, _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(parts[k]))));
  }
  if (full * kQBlock < n) {
    const BlockQ4& blk = w[full];
    const float d = f16_to_f32(blk.d);
    for (int64_t j = full * kQBlock; j < n; ++j) {
      const int i = int(j - full * kQBlock);
      const uint8_t byte = blk.qs[i % (kQBlock / 2)];
      out[j] = d * float(int(i < kQBlock / 2 ? (byte & 0x0f) : (byte >> 4)) - 8);
    }
  }
}

}  // namespace r1::cpu
