// Plain scalar twins of the block-quantized kernels in kernels/cpu/dot_quant.h: the test oracle, written for
// reading. Block layouts: kernels/qblocks.h.
#pragma once

#include <cstdint>

#include "kernels/qblocks.h"

namespace r1::ref {

// x[n] -> qblocks_per_row(n) activation blocks: d = max|x| / 127, q = round_to_nearest_even(x * (127 / max|x|))
// (the exact arithmetic the fast version uses, so both produce identical blocks); padding values are 0.
void quantize_x(const float* x, int64_t n, BlockQ8X* out);

// Row of q8 (or q4) weight blocks dotted with activation blocks, nb blocks:
//   sum_b f16(w[b].d) * x[b].d * sum_i wq[b][i] * x[b].q[i],  the integer sums exact, blocks added in order.
float dot_q8(const BlockQ8* w, const BlockQ8X* x, int64_t nb);
float dot_q4(const uint8_t* w, const BlockQ8X* x, int64_t nb);  // w: a q4 row of nb blocks

// A row of weight blocks to f32: out[j] = d * q[j], j < n (n <= 32 * blocks).
void dequant_q8(const BlockQ8* w, int64_t n, float* out);
void dequant_q4(const uint8_t* w, int64_t n, float* out);

// Weight j of block b of a q4 row (nb blocks) as a signed integer in [-8, 7], and the block's scale.
inline int q4_value(const uint8_t* row, int64_t nb, int64_t b, int j) { return q4_code(q4_block(row, nb, b), j) - 8; }
float q4_scale(const uint8_t* row, int64_t nb, int64_t b);

}  // namespace r1::ref
