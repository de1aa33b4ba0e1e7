// q8 weight rows x int8 activation blocks (AVX2, VNNI when compiled for it), activation quantization, and
// q8 dequantization. Twins: kernels/ref/quant_ref.cpp.
#include <immintrin.h>

#include <cstring>

#include "core/dtype.h"
#include "kernels/cpu/dot_quant.h"
#include "kernels/cpu/quant_simd.h"

namespace r1::cpu {

using detail::dot_u8s8;
using detail::hsum;
using detail::load32;

bool has_vnni() { return R1_HAVE_VNNI != 0; }

void quantize_x(const float* x, int64_t n, BlockQ8X* out) {
  const __m256 sign = _mm256_set1_ps(-0.0f);
  const int64_t nb = qblocks_per_row(n);
  for (int64_t b = 0; b < nb; ++b) {
    const float* p = x + b * kQBlock;
    float pad[kQBlock];
    if ((b + 1) * kQBlock > n) {  // last, partial block: zero padding
      const int64_t m = n - b * kQBlock;
      for (int64_t i = 0; i < kQBlock; ++i) pad[i] = i < m ? p[i] : 0.0f;
      p = pad;
    }
    __m256 v[4];
    __m256 amax = _mm256_setzero_ps();
    for (int k = 0; k < 4; ++k) {
      v[k] = _mm256_loadu_ps(p + 8 * k);
      amax = _mm256_max_ps(amax, _mm256_andnot_ps(sign, v[k]));
    }
    __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(amax), _mm256_extractf128_ps(amax, 1));
    m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
    m4 = _mm_max_ss(m4, _mm_shuffle_ps(m4, m4, 1));
    const float am = _mm_cvtss_f32(m4);
    BlockQ8X& o = out[b];
    o.d = am / 127.0f;
    const __m256 id = _mm256_set1_ps(am > 0.0f ? 127.0f / am : 0.0f);
    __m256i q[4];
    for (int k = 0; k < 4; ++k)
      q[k] = _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(v[k], id), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    // packs interleave 128-bit halves: dwords come out as 0,2,4,6,1,3,5,7 of the wanted order; permute back.
    const __m256i q16a = _mm256_packs_epi32(q[0], q[1]), q16b = _mm256_packs_epi32(q[2], q[3]);
    const __m256i q8 = _mm256_permutevar8x32_epi32(_mm256_packs_epi16(q16a, q16b), _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(o.q), q8);
    const __m256i lsum = _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_set1_epi8(1), q8), _mm256_set1_epi16(1));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(o.neg8sum), _mm256_sub_epi32(_mm256_setzero_si256(), _mm256_slli_epi32(lsum, 3)));
  }
}

namespace {

constexpr int64_t kPrefetchBytes = 8192;

// acc += (sum of the block's products, per lane) * d_w * d_x. |w| goes in the unsigned operand; x takes w's sign.
template <bool V>
inline __m256 block_q8(const BlockQ8& w, const BlockQ8X& x, __m256 acc) {
  const __m256i wq = load32(w.q), xq = load32(x.q);
  const __m256i lanes = dot_u8s8<V>(_mm256_setzero_si256(), _mm256_sign_epi8(wq, wq), _mm256_sign_epi8(xq, wq));
  return _mm256_fmadd_ps(_mm256_cvtepi32_ps(lanes), _mm256_set1_ps(_cvtsh_ss(w.d) * x.d), acc);
}

template <bool V>
float dot_q8_impl(const BlockQ8* w, const BlockQ8X* x, int64_t nb) {
  __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();  // two chains hide the FMA latency
  int64_t b = 0;
  for (; b + 2 <= nb; b += 2) {
    // Decode streams the weights once: fetch 8 KiB ahead (one 64-byte line per two 34-byte blocks), far enough
    // to cover the memory latency. One row at a time reached 81 % of the read bandwidth, 96 % with this
    // (bench/decode_matvec.cpp); near past a matrix's end it touches unrelated memory, which never faults.
    _mm_prefetch(reinterpret_cast<const char*>(w + b) + kPrefetchBytes, _MM_HINT_T0);
    a0 = block_q8<V>(w[b], x[b], a0);
    a1 = block_q8<V>(w[b + 1], x[b + 1], a1);
  }
  if (b < nb) a0 = block_q8<V>(w[b], x[b], a0);
  return hsum(_mm256_add_ps(a0, a1));
}

template <bool V, int NX>
void dot4_q8_impl(const BlockQ8* w, const BlockQ8X* const* x, int64_t nb, float* out) {
  // Even blocks into acc[0], odd ones into acc[1], as dot_q8_impl does: each vector's sum is the one-vector sum.
  __m256 acc[2][NX];
  for (int k = 0; k < NX; ++k) acc[0][k] = acc[1][k] = _mm256_setzero_ps();
  for (int64_t b = 0; b < nb; ++b) {
    const __m256i wq = load32(w[b].q);
    const __m256i wabs = _mm256_sign_epi8(wq, wq);
    const float dw = _cvtsh_ss(w[b].d);
    for (int k = 0; k < NX; ++k) {
      const __m256i lanes = dot_u8s8<V>(_mm256_setzero_si256(), wabs, _mm256_sign_epi8(load32(x[k][b].q), wq));
      acc[b & 1][k] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(lanes), _mm256_set1_ps(dw * x[k][b].d), acc[b & 1][k]);
    }
  }
  for (int k = 0; k < NX; ++k) out[k] = hsum(_mm256_add_ps(acc[0][k], acc[1][k]));
}

template <bool V>
void dot4_q8_dispatch(const BlockQ8* w, const BlockQ8X* const* x, int nx, int64_t nb, float* out) {
  switch (nx) {
    case 1: return dot4_q8_impl<V, 1>(w, x, nb, out);
    case 2: return dot4_q8_impl<V, 2>(w, x, nb, out);
    case 3: return dot4_q8_impl<V, 3>(w, x, nb, out);
    default: return dot4_q8_impl<V, 4>(w, x, nb, out);
  }
}

}  // namespace

float dot_q8_avx2(const BlockQ8* w, const BlockQ8X* x, int64_t nb) { return dot_q8_impl<false>(w, x, nb); }
void dot4_q8_avx2(const BlockQ8* w, const BlockQ8X* const* x, int nx, int64_t nb, float* out) {
  dot4_q8_dispatch<false>(w, x, nx, nb, out);
}
float dot_q8(const BlockQ8* w, const BlockQ8X* x, int64_t nb) { return dot_q8_impl<R1_HAVE_VNNI != 0>(w, x, nb); }
void dot4_q8(const BlockQ8* w, const BlockQ8X* const* x, int nx, int64_t nb, float* out) {
  dot4_q8_dispatch<R1_HAVE_VNNI != 0>(w, x, nx, nb, out);
}

void dequant_q8(const BlockQ8* w, int64_t n, float* out) {
  const int64_t full = n / kQBlock;
  for (int64_t b = 0; b < full; ++b) {
    const __m256 d = _mm256_set1_ps(_cvtsh_ss(w[b].d));
    for (int k = 0; k < 4; ++k) {
      const __m256i q = _mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(w[b].q + 8 * k)));
      _mm256_storeu_ps(out + b * kQBlock + 8 * k, _mm256_mul_ps(d, _mm256_cvtepi32_ps(q)));
    }
  }
  if (full * kQBlock < n) {
    const float d = f16_to_f32(w[full].d);
    for (int64_t j = full * kQBlock; j < n; ++j) out[j] = d * float(w[full].q[j - full * kQBlock]);
  }
}

}  // namespace r1::cpu
