// AVX-512 BF16 kernels (gemm_bf16.h). This file alone is compiled with -mavx512f -mavx512bw -mavx512vl
// -mavx512bf16 (src/CMakeLists.txt), so it must not include headers with inline functions or templates that
// other files also instantiate (core/dtype.h, <algorithm>, ...): the linker could keep this file's AVX-512 copy
// of such a function for the whole binary. Only intrinsics and this file's own code here.
// GCC 12's AVX-512 intrinsic headers trip -W(maybe-)uninitialized on their own `__Y = __Y` placeholders
// (GCC bug 105593, fixed in GCC 13).
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include "kernels/cpu/gemm_bf16.h"

namespace r1::cpu {

namespace {

constexpr int kR = 4;          // weight rows per register tile
constexpr int kC = 6;          // input rows per register tile: 4 x 6 accumulators + 4 + 1 loads of 32 registers
// K slice: a tile's 10 rows (4 weight rows, 6 input rows) stay in L1. 2048 columns (40 KiB) where L1 holds
// 48 KiB (Zen 5, recent Intel): pp512 on the V2-Lite shape +8 % at 1 thread and +10 % at 2 over 1024 columns
// (one slice per 2048-wide matmul instead of two: half the tile reductions and no partial-sum reloads); 4096
// was no better. 1024 (20 KiB) elsewhere.
int64_t k_slice() {
  static const int64_t kc = l1d_bytes() >= 48 * 1024 ? 2048 : 1024;
  return kc;
}
constexpr int64_t kTB = 96;     // input rows per block: 96 x 2 KiB of X stay in L2 while the weight rows pass

inline int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

inline __m512bh load_bh(const uint16_t* p) { return (__m512bh)_mm512_loadu_si512(p); }
inline __m512bh load_bh(const uint16_t* p, __mmask32 m) { return (__m512bh)_mm512_maskz_loadu_epi16(m, p); }

// Lane sums of four vectors: {sum(a0), sum(a1), sum(a2), sum(a3)}.
inline __m128 hsum4(__m512 a0, __m512 a1, __m512 a2, __m512 a3) {
  auto half = [](__m512 a) {
    return _mm256_add_ps(_mm512_castps512_ps256(a), _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(a), 1)));
  };
  const __m256 h = _mm256_hadd_ps(_mm256_hadd_ps(half(a0), half(a1)), _mm256_hadd_ps(half(a2), half(a3)));
  return _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
}

// R weight rows x C input rows over K columns: Y[c * ldy + r] (+)= W[r] . X[c]. `add` accumulates into Y
// (later K slices). A non-null `next` (the rows the following tile reads, when the weights stream from memory)
// is prefetched at the same pace: one cache line of each of its R rows per step.
template <int R, int C>
void tile(const uint16_t* W, int64_t ldw, const uint16_t* X, int64_t ldx, int64_t K, float* Y, int64_t ldy,
          bool add, const uint16_t* next) {
  __m512 acc[R][C];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 8
    for (int c = 0; c < C; ++c) acc[r][c] = _mm512_setzero_ps();
  auto step = [&](auto load) {
    __m512bh w[R];
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) w[r] = load(W + r * ldw);
#pragma GCC unroll 8
    for (int c = 0; c < C; ++c) {
      const __m512bh x = load(X + c * ldx);
#pragma GCC unroll 8
      for (int r = 0; r < R; ++r) acc[r][c] = _mm512_dpbf16_ps(acc[r][c], w[r], x);
    }
  };
  int64_t k = 0;
  if (next)
    for (; k + 32 <= K; k += 32) {
#pragma GCC unroll 8
      for (int r = 0; r < R; ++r) _mm_prefetch(reinterpret_cast<const char*>(next + r * ldw + k), _MM_HINT_T0);
      step([k](const uint16_t* p) { return load_bh(p + k); });
    }
  for (; k + 32 <= K; k += 32) step([k](const uint16_t* p) { return load_bh(p + k); });
  if (k < K) {  // the last K % 32 columns: masked loads read zeros past the end
    const __mmask32 m = _cvtu32_mask32((1u << (K - k)) - 1u);
    step([k, m](const uint16_t* p) { return load_bh(p + k, m); });
  }
#pragma GCC unroll 8
  for (int c = 0; c < C; ++c) {
    float* y = Y + c * ldy;
    if constexpr (R == 4) {
      __m128 s = hsum4(acc[0][c], acc[1][c], acc[2][c], acc[3][c]);
      if (add) s = _mm_add_ps(s, _mm_loadu_ps(y));
      _mm_storeu_ps(y, s);
    } else {
      for (int r = 0; r < R; ++r) {
        const float s = _mm512_reduce_add_ps(acc[r][c]);
        y[r] = add ? y[r] + s : s;
      }
    }
  }
}

using TileFn = void (*)(const uint16_t*, int64_t, const uint16_t*, int64_t, int64_t, float*, int64_t, bool,
                       const uint16_t*);

template <int R>
constexpr TileFn tile_for(int c) {
  switch (c) {
    case 1: return tile<R, 1>;
    case 2: return tile<R, 2>;
    case 3: return tile<R, 3>;
    case 4: return tile<R, 4>;
    case 5: return tile<R, 5>;
    default: return tile<R, 6>;
  }
}

TileFn tile_for(int r, int c) {
  switch (r) {
    case 1: return tile_for<1>(c);
    case 2: return tile_for<2>(c);
    case 3: return tile_for<3>(c);
    default: return tile_for<4>(c);
  }
}

// 16 f32 -> 16 bf16, round to nearest even; NaN -> quiet NaN (the arithmetic of f32_to_bf16).
inline __m256i cvt_bf16(__m512 v) {
  const __m512i u = _mm512_castps_si512(v);
  const __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(u, 16), _mm512_set1_epi32(1));
  const __m512i rounded = _mm512_srli_epi32(_mm512_add_epi32(u, _mm512_add_epi32(lsb, _mm512_set1_epi32(0x7fff))), 16);
  const __mmask16 nan =
      _mm512_cmpgt_epu32_mask(_mm512_and_si512(u, _mm512_set1_epi32(0x7fffffff)), _mm512_set1_epi32(0x7f800000));
  const __m512i quiet = _mm512_or_si512(_mm512_srli_epi32(u, 16), _mm512_set1_epi32(0x40));
  return _mm512_cvtepi32_epi16(_mm512_mask_blend_epi32(nan, rounded, quiet));
}

}  // namespace

void to_bf16_avx512(const float* x, int64_t n, uint16_t* out) {
  int64_t i = 0;
  for (; i + 16 <= n; i += 16)
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + i), cvt_bf16(_mm512_loadu_ps(x + i)));
  if (i < n) {
    const __mmask16 m = _cvtu32_mask16((1u << (n - i)) - 1u);
    _mm256_mask_storeu_epi16(out + i, m, cvt_bf16(_mm512_maskz_loadu_ps(m, x + i)));
  }
}

void gemm_bf16_avx512(const uint16_t* W, int64_t ldw, int64_t rows, const uint16_t* X, int64_t ldx, int64_t T,
                      int64_t K, float* Y, int64_t ldy) {
  // Few inputs (decode): each weight row is used by one tile only, so the rows stream from memory in order,
  // whole, with the next tile's rows prefetched. Many (prefill): blocks of inputs keep the tiles' operands in
  // cache. Both sum K in the same slices (a tile's chain per slice, the slices' sums added in order), so every
  // (row, input) value is the same whatever T is: a sequence decodes to the same numbers alone as in a batch
  // of any size, at any width.
  // (A row-by-row kernel for T = 1 with four chains along K streams ~6 % faster, but its sums differ from the
  // tiles': a sequence would decode to other numbers alone than in a batch. docs/benchmarks.md, "decode kernel".)
  const int64_t kc = k_slice();
  if (T <= kC) {
    for (int64_t r = 0; r < rows; r += kR) {
      const int rn = int(min64(kR, rows - r));
      // (past the last tile these are the caller's next rows, or nothing: a prefetch never faults)
      const uint16_t* next = W + (r + kR) * ldw;
      for (int64_t k0 = 0; k0 < K; k0 += kc)
        tile_for(rn, int(T))(W + r * ldw + k0, ldw, X + k0, ldx, min64(kc, K - k0), Y + r, ldy, k0 > 0, next + k0);
    }
    return;
  }
  for (int64_t k0 = 0; k0 < K; k0 += kc) {
    const int64_t kn = min64(kc, K - k0);
    for (int64_t t0 = 0; t0 < T; t0 += kTB) {
      const int64_t t1 = min64(t0 + kTB, T);
      // A tile's inputs (kC rows of the K slice, 12 or 24 KiB) stay in L1 while every weight tile of the panel
      // passes through; each weight tile comes from L2.
      for (int64_t t = t0; t < t1; t += kC) {
        const int cn = int(min64(kC, t1 - t));
        for (int64_t r = 0; r < rows; r += kR)
          tile_for(int(min64(kR, rows - r)), cn)(W + r * ldw + k0, ldw, X + t * ldx + k0, ldx, kn, Y + t * ldy + r,
                                                 ldy, k0 > 0, nullptr);
      }
    }
  }
}

}  // namespace r1::cpu
