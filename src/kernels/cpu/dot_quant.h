// Integer dot products for the block-quantized weight formats (kernels/qblocks.h), llama.cpp style: the
// activation vector is quantized once to int8 blocks (quantize_x), then each weight row is dotted block by
// block with integer multiply-adds and one float scale per block. Twins: kernels/ref/quant_ref.h.
//
// Two builds of every kernel: the AVX2 one (maddubs + madd), always compiled and tested, and the best one
// for the compile target, which uses VNNI (vpdpbusd) when the compiler targets AVX512-VNNI+VL or AVX-VNNI
// (-march=native on this machine). has_vnni() says which one dot_q8 / dot_q4 are.
#pragma once

#include <cstdint>

#include "kernels/qblocks.h"

namespace r1::cpu {

bool has_vnni();  // compile-time choice: true when the plain names below use vpdpbusd

// Same blocks as ref::quantize_x, bit for bit.
void quantize_x(const float* x, int64_t n, BlockQ8X* out);

// One weight row (nb blocks) against one activation row.
float dot_q8(const BlockQ8* w, const BlockQ8X* x, int64_t nb);
float dot_q4(const BlockQ4* w, const BlockQ8X* x, int64_t nb);
// The same row against nx <= 4 activation rows (the row is loaded once): out[k] = w . x[k].
void dot4_q8(const BlockQ8* w, const BlockQ8X* const* x, int nx, int64_t nb, float* out);
void dot4_q4(const BlockQ4* w, const BlockQ8X* const* x, int nx, int64_t nb, float* out);

// AVX2-only builds of the four kernels above (what a machine without VNNI runs).
float dot_q8_avx2(const BlockQ8* w, const BlockQ8X* x, int64_t nb);
float dot_q4_avx2(const BlockQ4* w, const BlockQ8X* x, int64_t nb);
void dot4_q8_avx2(const BlockQ8* w, const BlockQ8X* const* x, int nx, int64_t nb, float* out);
void dot4_q4_avx2(const BlockQ4* w, const BlockQ8X* const* x, int nx, int64_t nb, float* out);

// Weight row to f32 (the prefill path dequantizes blocks of rows for sgemm): out[j], j < n.
void dequant_q8(const BlockQ8* w, int64_t n, float* out);
void dequant_q4(const BlockQ4* w, int64_t n, float* out);

}  // namespace r1::cpu
