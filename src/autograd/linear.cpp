#include "autograd/linear.h"

#include "autograd/blas.h"

namespace r1::ag {

template <class T>
void linear_forward(T* out, const T* x, const T* W, const T* bias, int64_t N, int64_t IN, int64_t OUT) {
  if (N == 0) return;
  if (bias) {
    for (int64_t n = 0; n < N; ++n)
      for (int64_t o = 0; o < OUT; ++o) out[n * OUT + o] = bias[o];
  }
  gemm(false, true, N, OUT, IN, T(1), x, IN, W, IN, bias ? T(1) : T(0), out, OUT);
}

template <class T>
void linear_backward(T* dx, T* dW, T* dbias, const T* dout, const T* x, const T* W, int64_t N, int64_t IN,
                     int64_t OUT) {
  if (N == 0) return;
  if (dx) gemm(false, false, N, IN, OUT, T(1), dout, OUT, W, IN, T(1), dx, IN);     // (N, OUT) @ (OUT, IN)
  if (dW) gemm(true, false, OUT, IN, N, T(1), dout, OUT, x, IN, T(1), dW, IN);      // (OUT, N) @ (N, IN)
  if (dbias)
    for (int64_t n = 0; n < N; ++n)
      for (int64_t o = 0; o < OUT; ++o) dbias[o] += dout[n * OUT + o];
}

#define R1_INSTANTIATE(T)                                                                                   \
  template void linear_forward<T>(T*, const T*, const T*, const T*, int64_t, int64_t, int64_t);            \
  template void linear_backward<T>(T*, T*, T*, const T*, const T*, const T*, int64_t, int64_t, int64_t);
R1_INSTANTIATE(float)
R1_INSTANTIATE(double)
#undef R1_INSTANTIATE

}  // namespace r1::ag
