// Private SIMD helpers of the cpu kernels (dot_avx2.cpp, row_tiles_avx2.cpp, dot_q8.cpp, dot_q4.cpp): horizontal sums,
// bf16 widening and the u8 x s8 -> i32 multiply-add in its two
// builds (AVX2 maddubs + madd, or one VNNI vpdpbusd). Not part of the kernel interface.
#pragma once

#include <immintrin.h>

#include <cstdint>

#if (defined(__AVX512VNNI__) && defined(__AVX512VL__)) || defined(__AVXVNNI__)
#define R1_HAVE_VNNI 1
#else
#define R1_HAVE_VNNI 0
#endif

namespace r1::cpu::detail {

inline __m256 load_bf16(const uint16_t* p) {  // 8 bf16 -> 8 f32: widen and shift into the high half
  const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
}

inline float hsum(__m256 v) {
  const __m128 lo = _mm256_castps256_ps128(v), hi = _mm256_extractf128_ps(v, 1);
  __m128 s = _mm_add_ps(lo, hi);
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
  return _mm_cvtss_f32(s);
}

// acc[l] + sum_{i < 4} u[4l + i] * s[4l + i] for the 8 int32 lanes; u unsigned, s signed bytes. The AVX2 form
// goes through int16 pairs, exact as long as |u| * |s| * 2 < 32768 (true here: u <= 127 and |s| <= 127).
template <bool Vnni>
inline __m256i dot_u8s8(__m256i acc, __m256i u, __m256i s) {
  if constexpr (Vnni) {
#if defined(__AVX512VNNI__) && defined(__AVX512VL__)
    return _mm256_dpbusd_epi32(acc, u, s);
#elif defined(__AVXVNNI__)
    return _mm256_dpbusd_avx_epi32(acc, u, s);
#endif
  }
  return _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1)));
}

inline __m256i load32(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }

}  // namespace r1::cpu::detail
