// Integer dot products for the block-quantized weight formats (kernels/qblocks.h), llama.cpp style: the
// activation vector is quantized once to int8 blocks (quantize_x), then each weight row is dotted block by
// block with integer multiply-adds and one float scale per block. Twins: kernels/ref/quant_ref.h.
//
// Two builds of every kernel: the AVX2 one (maddubs + madd), always compiled and tested, and the best one
// for the compile target, which uses VNNI (vpdpbusd) when the compiler targets AVX512-VNNI+VL or AVX-VNNI
// (-march=native on this machine). has_vnni() says which one dot_q8 / dot_q4 are.
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/qblocks.h"

namespace r1::cpu {

bool has_vnni();  // compile-time choice: true when the plain names below use vpdpbusd (ymm)
// True when this CPU has AVX512-F/BW/VL + VNNI + F16C and R1_NO_AVX512 is not set (as for avx512_bf16_enabled):
// dot_q4 / dot4_q4 then run the AVX-512 kernels (dot_q4_avx512.cpp: two blocks per register). Read once.
bool avx512_vnni_enabled();

// Same blocks as ref::quantize_x, bit for bit.
void quantize_x(const float* x, int64_t n, BlockQ8X* out);

// One weight row (nb blocks) against one activation row.
float dot_q8(const BlockQ8* w, const BlockQ8X* x, int64_t nb);
float dot_q4(const uint8_t* w, const BlockQ8X* x, int64_t nb);  // w: a q4 row (kernels/qblocks.h)
// The same row against nx <= 4 activation rows (the row is loaded once): out[k] = w . x[k].
void dot4_q8(const BlockQ8* w, const BlockQ8X* const* x, int nx, int64_t nb, float* out);
void dot4_q4(const uint8_t* w, const BlockQ8X* const* x, int nx, int64_t nb, float* out);

// AVX2-only builds of the four kernels above (what a machine without VNNI runs).
float dot_q8_avx2(const BlockQ8* w, const BlockQ8X* x, int64_t nb);
float dot_q4_avx2(const uint8_t* w, const BlockQ8X* x, int64_t nb);
void dot4_q8_avx2(const BlockQ8* w, const BlockQ8X* const* x, int nx, int64_t nb, float* out);
void dot4_q4_avx2(const uint8_t* w, const BlockQ8X* const* x, int nx, int64_t nb, float* out);
// The activation blocks of one input as the row kernels (AVX-512 q4, AVX2 q8 / q4) read them, each field in one
// array: q[32 b + i], neg8[8 b + l] (the lane terms of BlockQ8X), nsum[b] = -8 * sum_i q[32 b + i] (the whole
// block's, for the AVX2 q4 kernel) and d[b], for block b. q, nsum and d are padded with zeros to a whole number
// of groups of 8 blocks (qx_padded(nb) blocks), so that a group's loads stay inside. pack_qx fills the arrays
// from quantize_x's blocks.
struct QX {
  const int8_t* q;
  const int32_t* neg8;
  const int32_t* nsum;
  const float* d;
};
inline int64_t qx_padded(int64_t nb) { return (nb + kQ4Group - 1) / kQ4Group * kQ4Group; }
void pack_qx(const BlockQ8X* x, int64_t nb, int8_t* q, int32_t* neg8, int32_t* nsum, float* d);
// n inputs (nb blocks each) packed by pack_qx into arrays this object owns; views[k] is input k.
struct QXPacked {
  QXPacked(const BlockQ8X* const* x, int64_t n, int64_t nb);
  std::vector<int8_t> q;
  std::vector<int32_t> neg8;
  std::vector<int32_t> nsum;
  std::vector<float> d;
  std::vector<QX> views;
};
// The AVX-512 q4 kernel (only where avx512_vnni_enabled()): each input's sum the same for any nx <= 4.
void dot4_q4_avx512(const uint8_t* w, const QX* x, int nx, int64_t nb, float* out);
// nrows consecutive rows (row_bytes apart) against the same nx <= 4 inputs: y[k * ldy + r] = row r . x[k], the
// same bits as dot4_q4_avx512 row by row (one call per block of rows: decode's per-row call overhead was ~5 %).
void rows_q4_avx512(const uint8_t* w, int64_t row_bytes, int64_t nrows, const QX* x, int nx, int64_t nb, float* y,
                    int64_t ldy);
// The AVX2 row kernels (rows_quant_avx2.cpp), for CPUs without VNNI: nrows consecutive rows (row_bytes apart)
// against nx <= 4 inputs, y[k * ldy + r] = row r . x[k]. Each (row, input) sum is the same for any nx and nrows.
void rows_q8_avx2(const uint8_t* w, int64_t row_bytes, int64_t nrows, const QX* x, int nx, int64_t nb, float* y,
                  int64_t ldy);
void rows_q4_avx2(const uint8_t* w, int64_t row_bytes, int64_t nrows, const QX* x, int nx, int64_t nb, float* y,
                  int64_t ldy);

// Weight row to f32 (the prefill path dequantizes blocks of rows for sgemm): out[j], j < n (the row's width).
void dequant_q8(const BlockQ8* w, int64_t n, float* out);
void dequant_q4(const uint8_t* w, int64_t n, float* out);

}  // namespace r1::cpu
