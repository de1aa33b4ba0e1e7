// Element-wise and row-wise float ops used by the model. rmsnorm, softmax, swiglu and exp_scaled are AVX2
// (kernels/cpu/ops_avx2.cpp) with scalar twins in kernels/ref/ops_ref.h; the others are plain loops.
#pragma once

#include <cstdint>

namespace r1::ops {

// y = x * rsqrt(mean(x^2) + eps) * w over n values (sum of squares in double). x and y may alias.
void rmsnorm(const float* x, const float* w, float eps, int64_t n, float* y);
// In-place softmax over n values (max-subtracted; the sum in double).
void softmax(float* x, int64_t n);
// y[i] = silu(a[i]) * b[i]
void swiglu(const float* a, const float* b, int64_t n, float* y);
// y[i] = vexp((x[i] - shift) * scale) (kernels/vexp.h), bit for bit as that scalar expression: the sampler's
// unnormalised probabilities at a temperature.
void exp_scaled(const float* x, float shift, float scale, int64_t n, float* y);
float dot(const float* a, const float* b, int64_t n);
// y += s * x
void axpy(float s, const float* x, int64_t n, float* y);
// Rotates interleaved pairs (x[2i], x[2i+1]) by the angle whose cos/sin are c[i], s[i], i < n/2.
void rope_interleaved(float* x, const float* c, const float* s, int64_t n);
// Rotates the pairs (x[i], x[i + n/2]) (Hugging Face's rotate_half, "NeoX" style) likewise, i < n/2.
void rope_neox(float* x, const float* c, const float* s, int64_t n);

}  // namespace r1::ops
