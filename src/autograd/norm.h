// RMSNorm (= model.py RMSNorm): y = x * rsqrt(mean(x^2) + eps) * w, per row. Sum of squares in double, as the
// inference kernel (kernels/ref rmsnorm) does, so the f32 forward matches inference.
#pragma once

#include <cstdint>

namespace r1::ag {

// out (N, C), rstd (N) = rsqrt(mean(x^2) + eps) kept for the backward; x (N, C), w (C). out may alias x.
template <class T>
void rmsnorm_forward(T* out, T* rstd, const T* x, const T* w, int64_t N, int64_t C, double eps);

// dx (N, C) += dL/dx; dw (C) += dL/dw (either may be null). x, w, rstd as given to the forward.
//   dw_i += sum_n dy_i x_i r;   dx_j += r w_j dy_j - r^3 x_j / C * sum_i dy_i w_i x_i
template <class T>
void rmsnorm_backward(T* dx, T* dw, const T* dout, const T* x, const T* w, const T* rstd, int64_t N, int64_t C);

}  // namespace r1::ag
