// BF16 or F32 weight rows against several f32 inputs with AVX2 + FMA, in register tiles (rows_bf16 and rows_f32
// in dot.h).
#include <immintrin.h>

#include <algorithm>
#include <cmath>

#include "core/dtype.h"
#include "kernels/cpu/dot.h"
#include "kernels/cpu/quant_simd.h"

namespace r1::cpu {

void pack_bf16_inputs(const float* X, int64_t ldx, int64_t T, int64_t K, float* XP) {
  for (int64_t t = 0; t < T; ++t) {
    const float* x = X + t * ldx;
    float* p = XP + t * K;
    int64_t i = 0;
    for (; i + 16 <= K; i += 16) {
      const __m256 a = _mm256_loadu_ps(x + i), b = _mm256_loadu_ps(x + i + 8);
      // in-lane: [a0 a2 b0 b2 | a4 a6 b4 b6] and [a1 a3 b1 b3 | a5 a7 b5 b7]; the 64-bit pairs reordered 0 2 1 3
      const __m256 ev = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0));
      const __m256 od = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(3, 1, 3, 1));
      _mm256_storeu_ps(p + i, _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(ev), _MM_SHUFFLE(3, 1, 2, 0))));
      _mm256_storeu_ps(p + i + 8, _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(od), _MM_SHUFFLE(3, 1, 2, 0))));
    }
    for (; i < K; ++i) p[i] = x[i];
  }
}

namespace {

// Keeps a loaded vector in a register: GCC otherwise folds each use's load into its FMA, and on CPUs that split
// 256-bit loads (AMD Zen 1) the loads, not the FMAs, then bound the tile.
template <typename V>
inline void in_register(V& v) { __asm__("" : "+x"(v)); }

// PF: the first tile over these rows, which streams them from memory: prefetch kAhead values (16 KiB) ahead (into the
// panel's next rows, which are adjacent); later tiles find the rows in L1.
constexpr int64_t kAhead = 8192;

// R rows x NX packed inputs. The pair (row, input) sums in one fixed order whatever the tile: 16 weights are
// loaded as 8 32-bit words, whose low halves (even columns, shifted up) are bf16 -> f32 exactly and whose
// high halves (odd columns, masked) are too; one 8-lane accumulator per pair takes the even columns' products,
// then the odd ones', group after group. A last group of 8 columns follows in order (widened), then hsum(acc)
// and the last K % 8 columns by fma. (One accumulator per pair, not one for the even and one for the odd
// columns, leaves registers for 2 x 4 tiles: on Zen 1 those ran 33 GFLOP/s against 27 for 2 x 2 with two.)
template <int R, int NX, bool PF>
void tile(const uint16_t* w, int64_t ldw, const float* xp, int64_t K, float* y, int64_t ldy) {
  const __m256i high = _mm256_set1_epi32(int32_t(0xffff0000u));
  __m256 acc[R][NX];
  for (int r = 0; r < R; ++r)
    for (int k = 0; k < NX; ++k) acc[r][k] = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 16 <= K; i += 16) {
    __m256i wr[R];
    if (PF && (i & 31) == 0)
      for (int r = 0; r < R; ++r) _mm_prefetch(reinterpret_cast<const char*>(w + r * ldw + i + kAhead), _MM_HINT_T0);
    for (int r = 0; r < R; ++r) {
      wr[r] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + r * ldw + i));
      in_register(wr[r]);
    }
    __m256 xv[NX];
    for (int k = 0; k < NX; ++k) in_register(xv[k] = _mm256_loadu_ps(xp + k * K + i));
    for (int r = 0; r < R; ++r) {
      const __m256 we = _mm256_castsi256_ps(_mm256_slli_epi32(wr[r], 16));
      for (int k = 0; k < NX; ++k) acc[r][k] = _mm256_fmadd_ps(we, xv[k], acc[r][k]);
    }
    for (int k = 0; k < NX; ++k) in_register(xv[k] = _mm256_loadu_ps(xp + k * K + i + 8));
    for (int r = 0; r < R; ++r) {
      const __m256 wo = _mm256_castsi256_ps(_mm256_and_si256(wr[r], high));
      for (int k = 0; k < NX; ++k) acc[r][k] = _mm256_fmadd_ps(wo, xv[k], acc[r][k]);
    }
  }
  if (i + 8 <= K) {
    for (int r = 0; r < R; ++r) {
      const __m256 wv = detail::load_bf16(w + r * ldw + i);
      for (int k = 0; k < NX; ++k) acc[r][k] = _mm256_fmadd_ps(wv, _mm256_loadu_ps(xp + k * K + i), acc[r][k]);
    }
    i += 8;
  }
  for (int r = 0; r < R; ++r)
    for (int k = 0; k < NX; ++k) {
      float s = detail::hsum(acc[r][k]);
      for (int64_t j = i; j < K; ++j) s = std::fma(bf16_to_f32(w[r * ldw + j]), xp[k * K + j], s);
      y[k * ldy + r] = s;
    }
}

// The F32 form: R f32 rows x NX inputs (as they are, not packed), 8 columns a step into one 8-lane accumulator per
// pair, then hsum(acc) and the last K % 8 columns by fma: one fixed order per pair whatever the tile.
template <int R, int NX, bool PF>
void tile(const float* w, int64_t ldw, const float* x, int64_t K, float* y, int64_t ldy) {
  __m256 acc[R][NX];
  for (int r = 0; r < R; ++r)
    for (int k = 0; k < NX; ++k) acc[r][k] = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 8 <= K; i += 8) {
    __m256 wr[R];
    if (PF && (i & 15) == 0)
      for (int r = 0; r < R; ++r) _mm_prefetch(reinterpret_cast<const char*>(w + r * ldw + i + kAhead), _MM_HINT_T0);
    for (int r = 0; r < R; ++r) in_register(wr[r] = _mm256_loadu_ps(w + r * ldw + i));
    for (int k = 0; k < NX; ++k) {
      __m256 xv = _mm256_loadu_ps(x + k * K + i);
      in_register(xv);
      for (int r = 0; r < R; ++r) acc[r][k] = _mm256_fmadd_ps(wr[r], xv, acc[r][k]);
    }
  }
  for (int r = 0; r < R; ++r)
    for (int k = 0; k < NX; ++k) {
      float s = detail::hsum(acc[r][k]);
      for (int64_t j = i; j < K; ++j) s = std::fma(w[r * ldw + j], x[k * K + j], s);
      y[k * ldy + r] = s;
    }
}

// tile<R, nx, PF> for nx in 1 .. kMaxInputs(R) (4 inputs of 2 rows or fewer; 2 of 4 rows: registers).
template <int R>
constexpr int kMaxInputs = R >= 4 ? 2 : 4;

template <int R, bool PF, typename Wt>
void tile_n(int nx, const Wt* w, int64_t ldw, const float* xp, int64_t K, float* y, int64_t ldy) {
  switch (nx) {
    case 1: return tile<R, 1, PF>(w, ldw, xp, K, y, ldy);
    case 2: return tile<R, 2, PF>(w, ldw, xp, K, y, ldy);
    default:
      if constexpr (kMaxInputs<R> >= 4) {
        if (nx == 3) return tile<R, 3, PF>(w, ldw, xp, K, y, ldy);
        return tile<R, 4, PF>(w, ldw, xp, K, y, ldy);
      }
  }
}

// R rows against all T inputs, kMaxInputs<R> at a time; the first tile streams the rows in, the rest find them in L1.
template <int R, typename Wt>
void tiles_for_rows(const Wt* w, int64_t ldw, const float* XP, int64_t T, int64_t K, float* Y, int64_t ldy) {
  constexpr int64_t nx = kMaxInputs<R>;
  int64_t t = std::min(T, nx);
  tile_n<R, true>(int(t), w, ldw, XP, K, Y, ldy);
  for (; t < T; t += nx) tile_n<R, false>(int(std::min(nx, T - t)), w, ldw, XP + t * K, K, Y + t * ldy, ldy);
}

template <int R, typename Wt>
int64_t rows_in_tiles_of(const Wt* W, int64_t ldw, int64_t rows, const float* XP, int64_t T, int64_t K, float* Y,
                         int64_t ldy) {
  int64_t r = 0;
  for (; r + R <= rows; r += R) tiles_for_rows<R>(W + r * ldw, ldw, XP, T, K, Y + r, ldy);
  return r;
}

// One or two inputs: 4 rows a tile, so that there are 4-8 independent sums for the FMA latency; more: 2 rows x 4.
template <typename Wt>
void rows_tiled(const Wt* W, int64_t ldw, int64_t rows, const float* XP, int64_t T, int64_t K, float* Y,
                int64_t ldy) {
  if (T <= 0 || rows <= 0) return;
  int64_t r = T <= 2 ? rows_in_tiles_of<4>(W, ldw, rows, XP, T, K, Y, ldy) : 0;
  r += rows_in_tiles_of<2>(W + r * ldw, ldw, rows - r, XP, T, K, Y + r, ldy);
  rows_in_tiles_of<1>(W + r * ldw, ldw, rows - r, XP, T, K, Y + r, ldy);
}

}  // namespace

void rows_bf16(const uint16_t* W, int64_t ldw, int64_t rows, const float* XP, int64_t T, int64_t K, float* Y,
               int64_t ldy) {
  rows_tiled(W, ldw, rows, XP, T, K, Y, ldy);
}

void rows_f32(const float* W, int64_t ldw, int64_t rows, const float* X, int64_t T, int64_t K, float* Y,
              int64_t ldy) {
  rows_tiled(W, ldw, rows, X, T, K, Y, ldy);
}

}  // namespace r1::cpu
