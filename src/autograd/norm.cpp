#include "autograd/norm.h"

#include <cmath>

#include "autograd/prof.h"

namespace r1::ag {

template <class T>
void rmsnorm_forward(T* out, T* rstd, const T* x, const T* w, int64_t N, int64_t C, double eps) {
  const prof::Scope ps("rmsnorm fwd");
  // eps goes through T, as inference passes it as a float.
  const double e = double(T(eps));
  for (int64_t n = 0; n < N; ++n) {
    const T* xr = x + n * C;
    double ss = 0.0;
    for (int64_t i = 0; i < C; ++i) ss += double(xr[i]) * double(xr[i]);
    const T r = T(1.0 / std::sqrt(ss / double(C) + e));
    rstd[n] = r;
    T* yr = out + n * C;
    for (int64_t i = 0; i < C; ++i) yr[i] = xr[i] * r * w[i];
  }
}

template <class T>
void rmsnorm_backward(T* dx, T* dw, const T* dout, const T* x, const T* w, const T* rstd, int64_t N, int64_t C) {
  const prof::Scope ps("rmsnorm bwd");
  for (int64_t n = 0; n < N; ++n) {
    const T* xr = x + n * C;
    const T* dy = dout + n * C;
    const T r = rstd[n];
    if (dw)
      for (int64_t i = 0; i < C; ++i) dw[i] += dy[i] * xr[i] * r;
    if (!dx) continue;
    T dot = 0;  // sum_i dy_i w_i x_i
    for (int64_t i = 0; i < C; ++i) dot += dy[i] * w[i] * xr[i];
    const T k = r * r * r * dot / T(C);
    T* dxr = dx + n * C;
    for (int64_t i = 0; i < C; ++i) dxr[i] += r * w[i] * dy[i] - k * xr[i];
  }
}

#define R1_INSTANTIATE(T)                                                                             \
  template void rmsnorm_forward<T>(T*, T*, const T*, const T*, int64_t, int64_t, double);            \
  template void rmsnorm_backward<T>(T*, T*, const T*, const T*, const T*, const T*, int64_t, int64_t);
R1_INSTANTIATE(float)
R1_INSTANTIATE(double)
#undef R1_INSTANTIATE

}  // namespace r1::ag
