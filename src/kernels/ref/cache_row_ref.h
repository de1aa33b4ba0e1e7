// Plain scalar twins of the cache-row kernels in kernels/cpu/cache_row_ops.h: decode the range
// (cache_row_load), then the plain f32 op. The test oracle, written for reading.
#pragma once

#include <cstdint>

#include "kernels/cache_row.h"

namespace r1::ref {

// sum_i q[i] * value[begin + i], i < n, summed in order; [begin, begin + n) lies within one part.
float cache_dot(const CacheRowFormat& f, const uint8_t* row, int64_t begin, int64_t n, const float* q);
// y[i] += a * value[begin + i], i < n; within one part.
void cache_axpy(const CacheRowFormat& f, float a, const uint8_t* row, int64_t begin, int64_t n, float* y);
// The same for nh heads: out[h] with query q + h * qstride; y + h * ystride += a[h] * value.
void cache_dot_heads(const CacheRowFormat& f, const uint8_t* row, int64_t begin, int64_t n, const float* q,
                     int64_t qstride, int64_t nh, float* out);
// Eight rows against one query: out[j] for rows[j], j < 8.
void cache_dot_rows8(const CacheRowFormat& f, const uint8_t* const* rows, int64_t begin, int64_t n, const float* q,
                     float* out);
void cache_axpy_heads(const CacheRowFormat& f, const float* a, const uint8_t* row, int64_t begin, int64_t n, float* y,
                      int64_t ystride, int64_t nh);

}  // namespace r1::ref
