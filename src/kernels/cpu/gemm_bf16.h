// BF16 x BF16 matrix products with AVX-512 BF16 (vdpbf16ps: 32 bf16 multiply-adds per instruction, f32
// accumulation), llama.cpp style: the activations are rounded to bf16 once per matmul (to_bf16), the weight
// rows are read straight from the checkpoint's BF16 bytes. Compiled with AVX-512 flags in its own file and
// called only when avx512_bf16_enabled() says the CPU has the instructions (runtime dispatch), so a build
// without -march=native still runs on AVX2-only machines. Twins: kernels/ref/bf16_ref.h.
#pragma once

#include <cstdint>

namespace r1::cpu {

// True when this CPU has AVX512-BF16 (+F, BW, VL): the kernels below may run.
bool cpu_has_avx512_bf16();
// cpu_has_avx512_bf16() unless the environment sets R1_NO_AVX512 to a value other than "0" (R1_NO_AVX512=1
// forces the AVX2 kernels, for tests and A/B benchmarks). Read once; linear() asks this.
bool avx512_bf16_enabled();

// This CPU's L1 data cache per core in bytes (sysconf; 32 KiB when it does not say). Sizes the GEMM's K slices.
int64_t l1d_bytes();

// out[i] = bf16(x[i]), round to nearest even, NaN stays NaN: bit for bit f32_to_bf16 (core/dtype.h).
void to_bf16_avx512(const float* x, int64_t n, uint16_t* out);

// Y (T, rows) = X (T, K) @ W (rows, K)^T over bf16 inputs with f32 accumulation, single-threaded:
//   Y[t * ldy + r] = sum_k W[r * ldw + k] * X[t * ldx + k].
// Register tiles of 4 weight rows x 6 input rows, K in cache-sized slices. Products of two bf16 are exact in
// f32; the sum order differs from the reference (and vdpbf16ps treats subnormal inputs and outputs as zero).
void gemm_bf16_avx512(const uint16_t* W, int64_t ldw, int64_t rows, const uint16_t* X, int64_t ldx, int64_t T,
                      int64_t K, float* Y, int64_t ldy);

}  // namespace r1::cpu
