// OpenBLAS sgemm for the inference path, called from inside OpenMP regions: parallelism comes from OpenMP over
// independent blocks (row panels of a weight, attention heads), so OpenBLAS itself is held to one thread.
#pragma once

#include <cstdint>

namespace r1::cpu {

// C (M, N) = A (M, K) . op(B) + beta C, row-major with leading dimensions; op(B) = B^T when trans_b
// (B stored (N, K)), else B (K, N).
void sgemm_serial(bool trans_b, int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const float* B,
                  int64_t ldb, float beta, float* C, int64_t ldc);

}  // namespace r1::cpu
