// AVX2 row kernels for q8 / q4 weights against int8 activations (dot_quant.h), for CPUs without VNNI.
//
// Why not the block-at-a-time kernels (dot_q8.cpp, dot_q4.cpp): on an AVX2 CPU such as Zen 1, vpmaddubsw and
// vpmaddwd share one pipe at two cycles per 256-bit op, and per block those kernels also convert the lane sums
// to float, convert the f16 scale, multiply, broadcast and multiply-add: ~9 cycles a block, about half of what
// the memory delivers. Here a group of 8 blocks is summed in integers first, with horizontal adds (another
// pipe), into one vector of 8 block sums; then one convert and one multiply-add with the 8 scale products
// apply the scales. Per input and group:
//   q4: 8 vpmaddubsw, then 7 vphaddw reduce the 16-bit products to one word per block and 128-bit half (codes
//       0..15 times |x| <= 127: a word holds at most 8 * 2 * 15 * 127 = 30480, no overflow), widened to int32.
//   q8: the sign trick (|w| times x with w's sign), vpmaddubsw + vpmaddwd per block (pairs reach 2 * 127 * 127,
//       so the products are widened at once), then 6 vphaddd and a half swap give the 8 block sums.
// Integer sums are exact; the float part is the block scale product and the running sum, accumulated per
// (row, input) in lane b % 8 and summed at the end, whatever the number of rows and inputs of the call.
#include <immintrin.h>

#include <cstring>
#include <type_traits>

#include "kernels/cpu/dot_quant.h"
#include "kernels/cpu/quant_simd.h"

namespace r1::cpu {

using detail::hsum;
using detail::load32;

namespace {

// Weights are fetched 8 KiB ahead, as in the block kernels: far enough to cover the memory latency. (Near the
// end of a tensor this points past it; prefetches never fault, though on unmapped pages they cost a page walk.)
constexpr int64_t kPrefetchBytes = 8192;

// The 8 int32 block sums of a q4 group from s: per 128-bit half, word b is block b's sum over that half.
inline __m256i widen_halves(__m256i s) {
  return _mm256_add_epi32(_mm256_cvtepi16_epi32(_mm256_castsi256_si128(s)),
                          _mm256_cvtepi16_epi32(_mm256_extracti128_si256(s, 1)));
}

// acc += float(sum) * (dw * dx) per lane, dw and dx the 8 blocks' weight and activation scales.
inline __m256 apply_scales(__m256i sum, __m256 dw, const float* dx, __m256 acc) {
  return _mm256_fmadd_ps(_mm256_cvtepi32_ps(sum), _mm256_mul_ps(dw, _mm256_loadu_ps(dx)), acc);
}

// One q4 group of 8 blocks (blocks b0 .. b0 + 7; missing blocks of a short group have zero codes and the
// inputs' padding has zero codes and scales) against NX inputs. pair(i, lo, hi) gives pair i's codes.
template <int NX, class Pair>
inline void q4_group(Pair&& pair, __m256 dw, const QX* x, int64_t b0, __m256* acc) {
  __m256i a[NX], e[NX];
  auto products = [&](int i, int k) {  // pair i's two blocks against input k: 4 words each per 128-bit half
    __m256i lo, hi;
    pair(i, lo, hi);
    const int8_t* q = x[k].q + (b0 + 2 * i) * 32;
    return _mm256_hadd_epi16(_mm256_maddubs_epi16(lo, load32(q)), _mm256_maddubs_epi16(hi, load32(q + 32)));
  };
  for (int k = 0; k < NX; ++k) a[k] = products(0, k);
  for (int k = 0; k < NX; ++k) a[k] = _mm256_hadd_epi16(a[k], products(1, k));  // 2 words a block
  for (int k = 0; k < NX; ++k) e[k] = products(2, k);
  for (int k = 0; k < NX; ++k) e[k] = _mm256_hadd_epi16(e[k], products(3, k));
  for (int k = 0; k < NX; ++k) {
    const __m256i sum = _mm256_add_epi32(widen_halves(_mm256_hadd_epi16(a[k], e[k])),
                                         _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[k].nsum + b0)));
    acc[k] = apply_scales(sum, dw, x[k].d + b0, acc[k]);
  }
}

template <int NX>
void rows_q4_impl(const uint8_t* w, int64_t row_bytes, int64_t nrows, const QX* x, int64_t nb, float* y,
                  int64_t ldy) {
  const __m256i low = _mm256_set1_epi8(0x0f);
  const int64_t full = nb / kQ4Group;
  constexpr int64_t kGroupBytes = kQ4Group * kQ4BlockBytes;
  for (int64_t r = 0; r < nrows; ++r) {
    const uint8_t* row = w + r * row_bytes;
    __m256 acc[NX];
    for (int k = 0; k < NX; ++k) acc[k] = _mm256_setzero_ps();
    for (int64_t g = 0; g < full; ++g) {
      const uint8_t* base = row + g * kGroupBytes;
      for (int64_t o = 0; o < kGroupBytes; o += 64) _mm_prefetch(reinterpret_cast<const char*>(base + o + kPrefetchBytes), _MM_HINT_T0);
      const __m256 dw = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(base)));
      auto pair = [&](int i, __m256i& lo, __m256i& hi) {
        const __m256i c = load32(base + 2 * kQ4Group + 32 * i);
        lo = _mm256_and_si256(c, low);
        hi = _mm256_and_si256(_mm256_srli_epi16(c, 4), low);
      };
      q4_group<NX>(pair, dw, x, g * kQ4Group, acc);
    }
    if (full * kQ4Group < nb) {  // a short group of k blocks: codes as in dot_q4.cpp, zeros past the last block
      const int64_t k = nb - full * kQ4Group;
      const uint8_t* base = row + full * kGroupBytes;
      uint16_t scales[kQ4Group] = {};
      std::memcpy(scales, base, size_t(2 * k));
      const __m256 dw = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(scales)));
      const uint8_t* codes = base + 2 * k;
      auto pair = [&](int i, __m256i& lo, __m256i& hi) {
        lo = hi = _mm256_setzero_si256();
        if (2 * i + 1 < k) {
          const __m256i c = load32(codes + 32 * i);
          lo = _mm256_and_si256(c, low);
          hi = _mm256_and_si256(_mm256_srli_epi16(c, 4), low);
        } else if (2 * i < k) {  // the odd group's last block: weights j and j + 16 share byte j
          const __m128i raw = _mm_loadu_si128(reinterpret_cast<const __m128i*>(codes + 32 * i));
          lo = _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(raw, 4), raw), low);
        }
      };
      q4_group<NX>(pair, dw, x, full * kQ4Group, acc);
    }
    for (int k = 0; k < NX; ++k) y[k * ldy + r] = hsum(acc[k]);
  }
}

// One q8 group: blocks b0 .. b0 + n - 1 of the row (n <= 8; the rest count as zero) against NX inputs. Full:
// n == 8 (known at compile time, so that the whole group stays in registers).
template <int NX, bool Full>
inline void q8_group(const BlockQ8* blk, int n, const QX* x, int64_t b0, __m256* acc) {
  if constexpr (Full) n = 8;
  const __m256i ones = _mm256_set1_epi16(1);
  __m256i a[NX], e[NX];
  // Blocks j and j + 1 against input k: two int32 per block and 128-bit half.
  auto products = [&](int j, int k) {
    auto block = [&](int i) {
      if (!Full && i >= n) return _mm256_setzero_si256();
      const __m256i wq = load32(blk[i].q), xq = load32(x[k].q + (b0 + i) * 32);
      return _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_sign_epi8(wq, wq), _mm256_sign_epi8(xq, wq)), ones);
    };
    return _mm256_hadd_epi32(block(j), block(j + 1));
  };
  for (int k = 0; k < NX; ++k) a[k] = _mm256_hadd_epi32(products(0, k), products(2, k));  // blocks 0-3
  for (int k = 0; k < NX; ++k) e[k] = _mm256_hadd_epi32(products(4, k), products(6, k));  // blocks 4-7
  uint16_t scales[8] = {};
  for (int j = 0; j < n; ++j) scales[j] = blk[j].d;
  const __m256 dw = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(scales)));
  for (int k = 0; k < NX; ++k) {
    // a = [blocks 0-3, low half | blocks 0-3, high half], e likewise for 4-7: add the halves across lanes.
    const __m256i x1 = _mm256_blend_epi32(a[k], e[k], 0xf0), x2 = _mm256_blend_epi32(e[k], a[k], 0xf0);
    const __m256i sum = _mm256_add_epi32(x1, _mm256_permute4x64_epi64(x2, 0x4e));
    acc[k] = apply_scales(sum, dw, x[k].d + b0, acc[k]);
  }
}

template <int NX>
void rows_q8_impl(const uint8_t* w, int64_t row_bytes, int64_t nrows, const QX* x, int64_t nb, float* y,
                  int64_t ldy) {
  for (int64_t r = 0; r < nrows; ++r) {
    const BlockQ8* row = reinterpret_cast<const BlockQ8*>(w + r * row_bytes);
    __m256 acc[NX];
    for (int k = 0; k < NX; ++k) acc[k] = _mm256_setzero_ps();
    for (int64_t b0 = 0; b0 < nb; b0 += 8) {
      const BlockQ8* blk = row + b0;
      for (int64_t o = 0; o < 8 * int64_t(sizeof(BlockQ8)); o += 64)
        _mm_prefetch(reinterpret_cast<const char*>(blk) + o + kPrefetchBytes, _MM_HINT_T0);
      if (nb - b0 >= 8) q8_group<NX, true>(blk, 8, x, b0, acc);
      else q8_group<NX, false>(blk, int(nb - b0), x, b0, acc);
    }
    for (int k = 0; k < NX; ++k) y[k * ldy + r] = hsum(acc[k]);
  }
}

// f(std::integral_constant<int, nx>) for nx in 1..4 (callers pass at most 4 inputs).
template <class F>
void with_nx(int nx, F&& f) {
  switch (nx) {
    case 1: return f(std::integral_constant<int, 1>{});
    case 2: return f(std::integral_constant<int, 2>{});
    case 3: return f(std::integral_constant<int, 3>{});
    default: return f(std::integral_constant<int, 4>{});
  }
}

}  // namespace

void rows_q8_avx2(const uint8_t* w, int64_t row_bytes, int64_t nrows, const QX* x, int nx, int64_t nb, float* y,
                  int64_t ldy) {
  with_nx(nx, [&](auto n) { rows_q8_impl<decltype(n)::value>(w, row_bytes, nrows, x, nb, y, ldy); });
}

void rows_q4_avx2(const uint8_t* w, int64_t row_bytes, int64_t nrows, const QX* x, int nx, int64_t nb, float* y,
                  int64_t ldy) {
  with_nx(nx, [&](auto n) { rows_q4_impl<decltype(n)::value>(w, row_bytes, nrows, x, nb, y, ldy); });
}

}  // namespace r1::cpu
