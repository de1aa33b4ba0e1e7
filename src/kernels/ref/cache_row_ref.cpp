#include "kernels/ref/cache_row_ref.h"

#include <vector>

namespace r1::ref {

float cache_dot(const CacheRowFormat& f, const uint8_t* row, int64_t begin, int64_t n, const float* q) {
  std::vector<float> v(static_cast<size_t>(n));
  cache_row_load(f, row, begin, n, v.data());
  float s = 0.0f;
  for (int64_t i = 0; i < n; ++i) s += q[i] * v[size_t(i)];
  return s;
}

void cache_axpy(const CacheRowFormat& f, float a, const uint8_t* row, int64_t begin, int64_t n, float* y) {
  std::vector<float> v(static_cast<size_t>(n));
  cache_row_load(f, row, begin, n, v.data());
  for (int64_t i = 0; i < n; ++i) y[i] += a * v[size_t(i)];
}

}  // namespace r1::ref
