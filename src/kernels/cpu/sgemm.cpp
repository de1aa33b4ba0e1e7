#include "kernels/cpu/sgemm.h"

#include <cblas.h>

namespace r1::cpu {

void sgemm_serial(bool trans_b, int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const float* B,
                  int64_t ldb, float beta, float* C, int64_t ldc) {
  static const bool once = [] {
    openblas_set_num_threads(1);
    return true;
  }();
  (void)once;
  cblas_sgemm(CblasRowMajor, CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans, int(M), int(N), int(K), 1.0f, A,
              int(lda), B, int(ldb), beta, C, int(ldc));
}

}  // namespace r1::cpu
