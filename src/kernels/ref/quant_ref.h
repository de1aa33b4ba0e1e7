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
float dot_q4(const BlockQ4* w, const BlockQ8X* x, int64_t nb);

// A row of weight blocks to f32: out[j] = d * q[j], j < n (n <= 32 * blocks).
void dequant_q8(const BlockQ8* w, int64_t n, float* out);
void dequant_q4(const BlockQ4* w, int64_t n, float* out);

// Weight j of a q4 block as a signed integer in [-8, 7].
inline int q4_value(const BlockQ4& b, int j) {
  const uint8_t byte = b.qs[j % (kQBlock / 2)];
  return int(j < kQBlock / 2 ? (byte & 0x0f) : (byte >> 4)) - 8;
}

}  // namespace r1::ref
