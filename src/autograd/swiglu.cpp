#include "autograd/swiglu.h"

#include <cmath>

#include "autograd/linear.h"
#include "autograd/prof.h"
#include "kernels/vexp.h"

namespace r1::ag {

template <class T>
void swiglu_forward(T* out, const T* a, const T* b, int64_t n) {
  const prof::Scope ps("swiglu fwd");
  for (int64_t i = 0; i < n; ++i) out[i] = a[i] / (T(1) + vexp(-a[i])) * b[i];
}

template <class T>
void swiglu_backward(T* da, T* db, const T* dout, const T* a, const T* b, int64_t n) {
  const prof::Scope ps("swiglu bwd");
  for (int64_t i = 0; i < n; ++i) {
    const T sig = T(1) / (T(1) + vexp(-a[i]));
    const T silu = a[i] * sig;
    da[i] += dout[i] * b[i] * sig * (T(1) + a[i] * (T(1) - sig));
    db[i] += dout[i] * silu;
  }
}

template <class T>
void mlp_forward(const MLPParams<T>& p, MLPActs<T>& a, const T* x, int64_t N, int64_t dim, T* out) {
  const int64_t I = p.inter;
  a.h1.resize(size_t(N * I));
  a.h3.resize(size_t(N * I));
  a.g.resize(size_t(N * I));
  linear_forward(a.h1.data(), x, p.w1, (const T*)nullptr, N, dim, I);
  linear_forward(a.h3.data(), x, p.w3, (const T*)nullptr, N, dim, I);
  swiglu_forward(a.g.data(), a.h1.data(), a.h3.data(), N * I);
  linear_forward(out, a.g.data(), p.w2, (const T*)nullptr, N, I, dim);
}

template <class T>
void mlp_backward(const MLPParams<T>& p, const MLPParams<T>& g, const MLPActs<T>& a, const T* x, int64_t N,
                  int64_t dim, const T* dout, T* dx) {
  const int64_t I = p.inter;
  std::vector<T> dgate(size_t(N * I), T(0)), dh1(size_t(N * I), T(0)), dh3(size_t(N * I), T(0));  // (N, inter)
  linear_backward(dgate.data(), g.w2, (T*)nullptr, dout, a.g.data(), p.w2, N, I, dim);
  swiglu_backward(dh1.data(), dh3.data(), dgate.data(), a.h1.data(), a.h3.data(), N * I);
  linear_backward(dx, g.w1, (T*)nullptr, dh1.data(), x, p.w1, N, dim, I);
  linear_backward(dx, g.w3, (T*)nullptr, dh3.data(), x, p.w3, N, dim, I);
}

#define R1_INSTANTIATE(T)                                                                                       \
  template void swiglu_forward<T>(T*, const T*, const T*, int64_t);                                            \
  template void swiglu_backward<T>(T*, T*, const T*, const T*, const T*, int64_t);                             \
  template void mlp_forward<T>(const MLPParams<T>&, MLPActs<T>&, const T*, int64_t, int64_t, T*);              \
  template void mlp_backward<T>(const MLPParams<T>&, const MLPParams<T>&, const MLPActs<T>&, const T*, int64_t, \
                                int64_t, const T*, T*);
R1_INSTANTIATE(float)
R1_INSTANTIATE(double)
#undef R1_INSTANTIATE

}  // namespace r1::ag
