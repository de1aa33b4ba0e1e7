// Linear layer y = x W^T (+ b), W stored (out_features, in_features) as in PyTorch and the checkpoints.
// Matmuls go to OpenBLAS (sgemm for float, dgemm for double).
#pragma once

#include <cstdint>

namespace r1::ag {

// out (N, OUT) = x (N, IN) @ W^T + bias; W (OUT, IN); bias (OUT) or null.
template <class T>
void linear_forward(T* out, const T* x, const T* W, const T* bias, int64_t N, int64_t IN, int64_t OUT);

// dx (N, IN) += dout @ W;  dW (OUT, IN) += dout^T @ x;  dbias (OUT) += column sums of dout.
// Any of dx, dW, dbias may be null (not needed).
template <class T>
void linear_backward(T* dx, T* dW, T* dbias, const T* dout, const T* x, const T* W, int64_t N, int64_t IN,
                     int64_t OUT);

}  // namespace r1::ag
