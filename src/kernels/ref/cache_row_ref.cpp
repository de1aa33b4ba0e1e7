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

void cache_dot_heads(const CacheRowFormat& f, const uint8_t* row, int64_t begin, int64_t n, const float* q,
                     int64_t qstride, int64_t nh, float* out) {
  for (int64_t h = 0; h < nh; ++h) out[h] = cache_dot(f, row, begin, n, q + h * qstride);
}

void cache_dot_rows8(const CacheRowFormat& f, const uint8_t* const* rows, int64_t begin, int64_t n, const float* q,
                     float* out) {
  for (int j = 0; j < 8; ++j) out[j] = cache_dot(f, rows[j], begin, n, q);
}

void cache_axpy_heads(const CacheRowFormat& f, const float* a, const uint8_t* row, int64_t begin, int64_t n, float* y,
                      int64_t ystride, int64_t nh) {
  for (int64_t h = 0; h < nh; ++h) cache_axpy(f, a[h], row, begin, n, y + h * ystride);
}

}  // namespace r1::ref
