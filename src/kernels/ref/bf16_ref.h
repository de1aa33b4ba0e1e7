// Plain scalar twins of the BF16 x BF16 kernels in kernels/cpu/gemm_bf16.h: the test oracle, written for
// reading. The arithmetic is the fast kernels' own: bf16-rounded activations, bf16 weights, exact f32 products,
// f32 sums (here in order k = 0, 1, ...).
#pragma once

#include <cstdint>

namespace r1::ref {

// out[i] = f32_to_bf16(x[i]) (round to nearest even).
void to_bf16(const float* x, int64_t n, uint16_t* out);

// Y[t * ldy + r] = sum_k W[r * ldw + k] * X[t * ldx + k], r < rows, t < T, k < K; bf16 inputs, f32 sum.
void gemm_bf16(const uint16_t* W, int64_t ldw, int64_t rows, const uint16_t* X, int64_t ldx, int64_t T, int64_t K,
               float* Y, int64_t ldy);

}  // namespace r1::ref
