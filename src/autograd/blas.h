// Row-major GEMM for the autograd ops, one name for both scalar types: float goes to cblas_sgemm (training),
// double to cblas_dgemm (the finite-difference gradient checks).
#pragma once

#include <cstdint>

namespace r1::ag {

// C (M, N) = alpha * op(A) * op(B) + beta * C, all row-major.
// op(A) is (M, K): A is (M, K) with leading dimension lda, or (K, M) when trans_a.
// op(B) is (K, N): B is (K, N) with leading dimension ldb, or (N, K) when trans_b.
void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
          const float* B, int64_t ldb, float beta, float* C, int64_t ldc);
void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, double alpha, const double* A, int64_t lda,
          const double* B, int64_t ldb, double beta, double* C, int64_t ldc);

}  // namespace r1::ag
