// Plain scalar twins of the row-wise ops whose fast versions are in kernels/cpu/ops_avx2.cpp (behind the
// names of kernels/ops.h): the test oracle, written for reading.
#pragma once

#include <cstdint>

namespace r1::ref {

// y = x * r * w, r = 1 / sqrt(mean(x^2) + eps), the sum of squares in double, in index order. x, y may alias.
void rmsnorm(const float* x, const float* w, float eps, int64_t n, float* y);
// In place: exp(x - max) (kernels/vexp.h) divided by their sum (double, in index order).
void softmax(float* x, int64_t n);
// y = silu(a) * b = a / (1 + exp(-a)) * b elementwise (kernels/vexp.h); y may alias a or b.
void swiglu(const float* a, const float* b, int64_t n, float* y);
// y = vexp((x - shift) * scale) elementwise.
void exp_scaled(const float* x, float shift, float scale, int64_t n, float* y);

}  // namespace r1::ref
