// AVX2 + FMA (+ F16C) dot products between one weight row, stored in a checkpoint format, and an f32
// activation vector. Each has a plain twin: Weight::dequant_row followed by ops::dot (kernels/ref).
#pragma once

#include <cstdint>

namespace r1::cpu {

float dot_f32(const float* w, const float* x, int64_t n);
// dot_f32 for a row of a weight matrix streamed in row order: prefetches the rows ahead.
float dot_f32_weights(const float* w, const float* x, int64_t n);
// The same row against two vectors in one pass (speculative and small-batch decode): each weight load feeds two
// FMAs, four chains per vector.
void dot2_f32_weights(const float* w, const float* x0, const float* x1, int64_t n, float* out0, float* out1);
float dot_bf16(const uint16_t* w, const float* x, int64_t n);
float dot_f16(const uint16_t* w, const float* x, int64_t n);
// FP8 e4m3 row with one scale per `block` columns (scale[j / block]). The NaN codes 0x7F/0xFF, which no
// checkpoint contains, decode as 480 here (the reference decodes NaN).
float dot_fp8(const uint8_t* w, const float* scale, int64_t block, const float* x, int64_t n);

// The same row against up to 4 activation vectors at once (batched decode): the row is loaded and converted
// once for all of them. out[k] = w . x[k], k < nx <= 4.
void dot4_f32(const float* w, const float* const* x, int nx, int64_t n, float* out);
void dot4_bf16(const uint16_t* w, const float* const* x, int nx, int64_t n, float* out);
void dot4_f16(const uint16_t* w, const float* const* x, int nx, int64_t n, float* out);
void dot4_fp8(const uint8_t* w, const float* scale, int64_t block, const float* const* x, int nx, int64_t n, float* out);

// BF16 weight rows against T f32 inputs in register tiles (2 rows x 4 inputs; 4 rows x 1-2 inputs for one or two):
// each weight is loaded and widened once per tile, 16 at a time as 8 32-bit words (even columns: shift, odd:
// mask), with no per-row call or reduction setup (tiny models' 200-wide rows cost dot4_bf16 more in those than in
// FMAs).
// The inputs are packed first, once per matmul: pack_bf16_inputs writes X (T, K; row stride ldx) to XP (T, K)
// with each full 16-column group as its 8 even then its 8 odd values, the rest as they are.
// rows_bf16: Y[t * ldy + r] = W row r . X row t, r < rows, t < T. Each (row, input) pair is summed in one fixed
// order whatever T and the tiles, so an input's outputs are the same to the bit alone or in a batch (batched
// decode is batch invariant); the order differs from dot_bf16's. Twin: dequant_row + ops::dot.
void pack_bf16_inputs(const float* X, int64_t ldx, int64_t T, int64_t K, float* XP);
void rows_bf16(const uint16_t* W, int64_t ldw, int64_t rows, const float* XP, int64_t T, int64_t K, float* Y,
               int64_t ldy);
// The same for F32 rows (a weight stored as f32, or a panel dequantized to f32) against X (T, K) as it is (not
// packed): each pair in one fixed order, 8 columns a step, whatever T and the tiles. Twin: ops::dot.
void rows_f32(const float* W, int64_t ldw, int64_t rows, const float* X, int64_t T, int64_t K, float* Y,
              int64_t ldy);

// y[i] += a * x[i], i < n, for a bf16 / e4m3 vector x (the attention's weighted sum over stored cache rows,
// kernels/cpu/cache_row_ops.h); one FMA per value (the plain twin rounds the product first).
void axpy_bf16(float a, const uint16_t* x, int64_t n, float* y);
void axpy_fp8(float a, const uint8_t* x, int64_t n, float* y);

// Attention over one stored cache row for several heads at once (the row is loaded and converted once per 8
// values for all of them). dot: out[h] = scale * sum_i v[i] * q[h * qstride + i], h < nh (scale: the fp8 row
// part's; 1 otherwise). axpy: y[h * ystride + i] += a[h] * v[i]. Same arithmetic per head as a dot with one
// chain per head / as axpy; twins: kernels/ref/cache_row_ref.h.
void dot_heads_f32(const float* v, int64_t n, const float* q, int64_t qstride, int64_t nh, float* out);
void dot_heads_bf16(const uint16_t* v, int64_t n, const float* q, int64_t qstride, int64_t nh, float* out);
void dot_heads_fp8(const uint8_t* v, float scale, int64_t n, const float* q, int64_t qstride, int64_t nh, float* out);
void axpy_heads_f32(const float* a, const float* v, int64_t n, float* y, int64_t ystride, int64_t nh);
void axpy_heads_bf16(const float* a, const uint16_t* v, int64_t n, float* y, int64_t ystride, int64_t nh);
void axpy_heads_fp8(const float* a, const uint8_t* v, int64_t n, float* y, int64_t ystride, int64_t nh);
// Eight f32 rows against one query: out[j] = sum_i v[j][i] * q[i], j < 8. The query is loaded once per 8 values
// for all rows and the eight sums come out of one transpose, instead of a horizontal sum per row (as costly as
// the row's FMAs when rows are short: tiny models' 72-wide latents).
void dot_rows8_f32(const float* const* v, int64_t n, const float* q, float* out);
// Eight f32 rows into nh accumulators: y[h * ystride + i] += p[h * pstride + j] * v[j][i], row j = 0..7 in turn.
// Each y value sees the same fused multiply-adds in the same order as eight axpy_heads_f32 calls, so the result
// is the same to the bit; the accumulators are loaded and stored once per eight rows instead of once per row.
void axpy_rows8_f32(const float* p, int64_t pstride, const float* const* v, int64_t n, float* y, int64_t ystride,
                    int64_t nh);

}  // namespace r1::cpu
