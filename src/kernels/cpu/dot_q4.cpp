// q4 weight rows (grouped layout, kernels/qblocks.h) x int8 activation blocks: the AVX2 kernels (VNNI ymm
// when compiled for it), q4 dequantization, and the dispatch to the AVX-512 kernels (dot_q4_avx512.cpp) on
// CPUs that have them. Twins: kernels/ref/quant_ref.cpp.
#include <immintrin.h>

#include <cstring>
#include <type_traits>
#include <vector>

#include "kernels/cpu/dot_quant.h"
#include "kernels/cpu/quant_simd.h"

namespace r1::cpu {

using detail::dot_u8s8;
using detail::hsum;
using detail::load32;

namespace {

using Even = std::integral_constant<int, 0>;
using Odd = std::integral_constant<int, 1>;

// Calls f(b, u, d, parity) for the row's blocks in order: u the block's 32 codes as bytes in order, d its
// scale, parity Even / Odd (b % 2, a type, so that accumulators indexed by it stay in registers).
template <class F>
inline void for_each_q4_block(const uint8_t* row, int64_t nb, F&& f) {
  const __m256i low = _mm256_set1_epi8(0x0f);
  for (int64_t g0 = 0; g0 < nb; g0 += kQ4Group) {
    const int64_t k = nb - g0 < kQ4Group ? nb - g0 : kQ4Group;
    const uint8_t* base = row + g0 * kQ4BlockBytes;
    const uint8_t* codes = base + 2 * k;
    auto scale = [base](int64_t i) {
      uint16_t h;
      std::memcpy(&h, base + 2 * i, 2);
      return _cvtsh_ss(h);
    };
    int64_t i = 0;
    for (; i + 2 <= k; i += 2) {  // a pair: low nibbles, then high nibbles, of the same 32 bytes
      const __m256i c = load32(codes + 16 * i);
      f(g0 + i, _mm256_and_si256(c, low), scale(i), Even{});
      f(g0 + i + 1, _mm256_and_si256(_mm256_srli_epi16(c, 4), low), scale(i + 1), Odd{});
    }
    if (i < k) {  // an odd group's last block (even index): weights j and j + 16 share byte j
      const __m128i raw = _mm_loadu_si128(reinterpret_cast<const __m128i*>(codes + 16 * i));
      f(g0 + i, _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(raw, 4), raw), low), scale(i), Even{});
    }
  }
}

// acc += lanes of sum((u - 8) * x) * d_w * d_x: u is the unsigned operand as stored, and the -8 * sum(x) per
// lane (precomputed with x) is the starting value, so the lane sums are exact integers.
template <bool V>
inline __m256 block_q4(__m256i u, float dw, const BlockQ8X& x, __m256 acc) {
  const __m256i lanes = dot_u8s8<V>(load32(x.neg8sum), u, load32(x.q));
  return _mm256_fmadd_ps(_mm256_cvtepi32_ps(lanes), _mm256_set1_ps(dw * x.d), acc);
}

// One row against NX activation rows; even blocks go to one chain and odd ones to another, per input, so each
// input's sum is the same whatever NX is.
template <bool V, int NX>
void dot_q4_impl(const uint8_t* w, const BlockQ8X* const* x, int64_t nb, float* out) {
  __m256 acc[2][NX];
  for (int k = 0; k < NX; ++k) acc[0][k] = acc[1][k] = _mm256_setzero_ps();
  for_each_q4_block(w, nb, [&](int64_t b, __m256i u, float dw, auto parity) {
    constexpr int p = decltype(parity)::value;
    for (int k = 0; k < NX; ++k) acc[p][k] = block_q4<V>(u, dw, x[k][b], acc[p][k]);
  });
  for (int k = 0; k < NX; ++k) out[k] = hsum(_mm256_add_ps(acc[0][k], acc[1][k]));
}

template <bool V>
void dot4_q4_dispatch(const uint8_t* w, const BlockQ8X* const* x, int nx, int64_t nb, float* out) {
  switch (nx) {
    case 1: return dot_q4_impl<V, 1>(w, x, nb, out);
    case 2: return dot_q4_impl<V, 2>(w, x, nb, out);
    case 3: return dot_q4_impl<V, 3>(w, x, nb, out);
    default: return dot_q4_impl<V, 4>(w, x, nb, out);
  }
}

}  // namespace

float dot_q4_avx2(const uint8_t* w, const BlockQ8X* x, int64_t nb) {
  float out;
  dot_q4_impl<false, 1>(w, &x, nb, &out);
  return out;
}
void dot4_q4_avx2(const uint8_t* w, const BlockQ8X* const* x, int nx, int64_t nb, float* out) {
  dot4_q4_dispatch<false>(w, x, nx, nb, out);
}
float dot_q4(const uint8_t* w, const BlockQ8X* x, int64_t nb) {
  float out;
  dot4_q4(w, &x, 1, nb, &out);
  return out;
}
void pack_qx(const BlockQ8X* x, int64_t nb, int8_t* q, int32_t* neg8, int32_t* nsum, float* d) {
  for (int64_t b = 0; b < nb; ++b) {
    std::memcpy(q + 32 * b, x[b].q, sizeof x[b].q);
    std::memcpy(neg8 + 8 * b, x[b].neg8sum, sizeof x[b].neg8sum);
    int32_t s = 0;
    for (int l = 0; l < 8; ++l) s += x[b].neg8sum[l];
    nsum[b] = s;
    d[b] = x[b].d;
  }
  for (int64_t b = nb; b < qx_padded(nb); ++b) {
    std::memset(q + 32 * b, 0, 32);
    nsum[b] = 0;
    d[b] = 0.0f;
  }
}

QXPacked::QXPacked(const BlockQ8X* const* x, int64_t n, int64_t nb)
    : q(static_cast<size_t>(n * qx_padded(nb) * 32)), neg8(static_cast<size_t>(n * nb * 8)),
      nsum(static_cast<size_t>(n * qx_padded(nb))), d(static_cast<size_t>(n * qx_padded(nb))),
      views(static_cast<size_t>(n)) {
  const int64_t np = qx_padded(nb);
  for (int64_t k = 0; k < n; ++k) {
    int8_t* qk = &q[size_t(k * np * 32)];
    int32_t* nk = &neg8[size_t(k * nb * 8)];
    int32_t* sk = &nsum[size_t(k * np)];
    float* dk = &d[size_t(k * np)];
    pack_qx(x[k], nb, qk, nk, sk, dk);
    views[size_t(k)] = {qk, nk, sk, dk};
  }
}

void dot4_q4(const uint8_t* w, const BlockQ8X* const* x, int nx, int64_t nb, float* out) {
  if (avx512_vnni_enabled()) {  // (linear() packs its inputs once per call and calls the AVX-512 kernel itself)
    const QXPacked xs(x, nx, nb);
    return dot4_q4_avx512(w, xs.views.data(), nx, nb, out);
  }
  dot4_q4_dispatch<R1_HAVE_VNNI != 0>(w, x, nx, nb, out);
}

void dequant_q4(const uint8_t* w, int64_t n, float* out) {
  const __m256i eight = _mm256_set1_epi8(8);
  for_each_q4_block(w, qblocks_per_row(n), [&](int64_t b, __m256i u, float dw, auto) {
    const __m256 d = _mm256_set1_ps(dw);
    const __m256i q = _mm256_sub_epi8(u, eight);  // signed, in [-8, 7]
    const __m128i lo = _mm256_castsi256_si128(q), hi = _mm256_extracti128_si256(q, 1);
    const __m128i parts[4] = {lo, _mm_srli_si128(lo, 8), hi, _mm_srli_si128(hi, 8)};
    const int64_t m = n - b * kQBlock < kQBlock ? n - b * kQBlock : kQBlock;  // the last block may be partial
    float v[kQBlock];
    float* dst = m == kQBlock ? out + b * kQBlock : v;
    for (int k = 0; k < 4; ++k) _mm256_storeu_ps(dst + 8 * k, _mm256_mul_ps(d, _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(parts[k]))));
    if (dst == v) std::memcpy(out + b * kQBlock, v, size_t(m) * sizeof(float));
  });
}

}  // namespace r1::cpu
