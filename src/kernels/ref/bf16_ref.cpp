// Scalar reference versions of the BF16 x BF16 kernels (see bf16_ref.h).
#include "kernels/ref/bf16_ref.h"

#include "core/dtype.h"

namespace r1::ref {

void to_bf16(const float* x, int64_t n, uint16_t* out) {
  for (int64_t i = 0; i < n; ++i) out[i] = f32_to_bf16(x[i]);
}

void gemm_bf16(const uint16_t* W, int64_t ldw, int64_t rows, const uint16_t* X, int64_t ldx, int64_t T, int64_t K,
               float* Y, int64_t ldy) {
  for (int64_t t = 0; t < T; ++t)
    for (int64_t r = 0; r < rows; ++r) {
      float s = 0.0f;
      for (int64_t k = 0; k < K; ++k) s += bf16_to_f32(W[r * ldw + k]) * bf16_to_f32(X[t * ldx + k]);
      Y[t * ldy + r] = s;
    }
}

}  // namespace r1::ref
