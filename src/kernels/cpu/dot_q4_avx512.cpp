// The AVX-512 q4 kernel (dot_quant.h): a pair of blocks per 512-bit register. This file alone is compiled
// with -mavx512f -mavx512bw -mavx512vl -mavx512vnni -mf16c (src/CMakeLists.txt) and runs only when
// avx512_vnni_enabled(); like gemm_bf16_avx512.cpp it includes no header with inline functions that other
// files also instantiate (only intrinsics, the layout constants and plain declarations).
//
// The activations come as QX (dot_quant.h): codes, lane offsets and scales each in one array, so a pair's
// operands are single loads. Per group of eight blocks (kernels/qblocks.h): one load converts the eight f16
// weight scales, and their products with the inputs' eight block scales are the group's scales. Per pair:
// one broadcast load of the 32 code bytes, a shift of the upper half and a mask give both blocks' 64 codes;
// one vpdpbusd takes their 16 lane sums with the inputs' codes (the -8 offset is the lanes' starting value, as
// in the AVX2 kernel), and one multiply-add applies the pair's two scales. ~7 instructions a block instead of
// ~13 one block at a time, which makes decode read-bound (bench/decode_matvec.cpp).
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include <type_traits>

#include "kernels/cpu/dot_quant.h"

namespace r1::cpu {

namespace {

constexpr int kPrefetchBytes = 8192;  // as the q8 kernel: far enough ahead to cover the memory latency

inline __m256i load256(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }

template <int NX>
void dot_impl(const uint8_t* w, const QX* x, int64_t nb, float* out) {
  const __m512i shift = _mm512_setr_epi64(0, 0, 0, 0, 4, 4, 4, 4), low = _mm512_set1_epi8(0x0f);
  // Scale lanes for pair p: block 2p's eight lanes, then block 2p + 1's.
  const __m512i pair_idx[4] = {_mm512_setr_epi32(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1),
                               _mm512_setr_epi32(2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3),
                               _mm512_setr_epi32(4, 4, 4, 4, 4, 4, 4, 4, 5, 5, 5, 5, 5, 5, 5, 5),
                               _mm512_setr_epi32(6, 6, 6, 6, 6, 6, 6, 6, 7, 7, 7, 7, 7, 7, 7, 7)};
  __m512 acc[2][NX];
  __m256 tail[NX];  // an odd group's last block (the row's last block)
  for (int k = 0; k < NX; ++k) {
    acc[0][k] = acc[1][k] = _mm512_setzero_ps();
    tail[k] = _mm256_setzero_ps();
  }
  // One group of gk blocks (gk == 8 except in the row's last group; GK: gk when known at compile time, so that
  // the pair loop unrolls and the accumulators stay in registers).
  auto group = [&](int64_t g0, int gk, auto GK) {
    constexpr int kFixed = decltype(GK)::value;
    if constexpr (kFixed > 0) gk = kFixed;
    const uint8_t* base = w + g0 * kQ4BlockBytes;
    for (int l = 0; l < 3; ++l) _mm_prefetch(reinterpret_cast<const char*>(base) + kPrefetchBytes + 64 * l, _MM_HINT_T0);
    const __mmask8 km = __mmask8((1u << gk) - 1u);
    const __m256 sw = _mm256_cvtph_ps(kFixed == 8 ? _mm_loadu_si128(reinterpret_cast<const __m128i*>(base))
                                                  : _mm_maskz_loadu_epi16(km, base));
    __m512 sc[NX];  // the group's eight combined scales d_w * d_x per input (lanes 0-7)
    for (int k = 0; k < NX; ++k) sc[k] = _mm512_castps256_ps512(_mm256_mul_ps(sw, _mm256_maskz_loadu_ps(km, x[k].d + g0)));
    const uint8_t* codes = base + 2 * gk;
    auto pair = [&](int p) {
      const __m512i t = _mm512_broadcast_i64x4(load256(codes + 32 * p));
      const __m512i u = _mm512_and_si512(_mm512_srlv_epi64(t, shift), low);  // [block 2p | block 2p + 1] codes
      const int64_t b = g0 + 2 * p;
      for (int k = 0; k < NX; ++k) {
        const __m512i lanes = _mm512_dpbusd_epi32(_mm512_loadu_si512(x[k].neg8 + 8 * b), u, _mm512_loadu_si512(x[k].q + 32 * b));
        const __m512 s = _mm512_permutexvar_ps(pair_idx[p], sc[k]);
        acc[p & 1][k] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(lanes), s, acc[p & 1][k]);
      }
    };
    if constexpr (kFixed == 8) {
      pair(0);
      pair(1);
      pair(2);
      pair(3);
    } else {
      for (int p = 0; p < gk / 2; ++p) pair(p);
    }
    if (gk % 2 == 1) {  // weights j and j + 16 share byte j
      const __m128i raw = _mm_loadu_si128(reinterpret_cast<const __m128i*>(codes + 32 * (gk / 2)));
      const __m256i u = _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(raw, 4), raw), _mm256_set1_epi8(0x0f));
      const int64_t b = g0 + gk - 1;
      for (int k = 0; k < NX; ++k) {
        const __m256i lanes = _mm256_dpbusd_epi32(load256(x[k].neg8 + 8 * b), u, load256(x[k].q + 32 * b));
        const __m256 s = _mm256_permutevar8x32_ps(_mm512_castps512_ps256(sc[k]), _mm256_set1_epi32(gk - 1));
        tail[k] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(lanes), s, tail[k]);
      }
    }
  };
  int64_t g0 = 0;
  for (; g0 + kQ4Group <= nb; g0 += kQ4Group) group(g0, int(kQ4Group), std::integral_constant<int, 8>{});
  if (g0 < nb) group(g0, int(nb - g0), std::integral_constant<int, 0>{});
  for (int k = 0; k < NX; ++k) {
    const __m256 t = tail[k];
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(t), _mm256_extractf128_ps(t, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
    out[k] = _mm512_reduce_add_ps(_mm512_add_ps(acc[0][k], acc[1][k])) + _mm_cvtss_f32(s);
  }
}

template <int NX>
void rows_impl(const uint8_t* w, int64_t row_bytes, int64_t nrows, const QX* x, int64_t nb, float* y, int64_t ldy) {
  for (int64_t r = 0; r < nrows; ++r) {
    float out[NX];
    dot_impl<NX>(w + r * row_bytes, x, nb, out);
    for (int k = 0; k < NX; ++k) y[k * ldy + r] = out[k];
  }
}

}  // namespace

void dot4_q4_avx512(const uint8_t* w, const QX* x, int nx, int64_t nb, float* out) {
  switch (nx) {
    case 1: return dot_impl<1>(w, x, nb, out);
    case 2: return dot_impl<2>(w, x, nb, out);
    case 3: return dot_impl<3>(w, x, nb, out);
    default: return dot_impl<4>(w, x, nb, out);
  }
}

void rows_q4_avx512(const uint8_t* w, int64_t row_bytes, int64_t nrows, const QX* x, int nx, int64_t nb, float* y,
                    int64_t ldy) {
  switch (nx) {
    case 1: return rows_impl<1>(w, row_bytes, nrows, x, nb, y, ldy);
    case 2: return rows_impl<2>(w, row_bytes, nrows, x, nb, y, ldy);
    case 3: return rows_impl<3>(w, row_bytes, nrows, x, nb, y, ldy);
    default: return rows_impl<4>(w, row_bytes, nrows, x, nb, y, ldy);
  }
}

}  // namespace r1::cpu
