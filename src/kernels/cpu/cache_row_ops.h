// Dtype-aware kernels over stored cache rows (kernels/cache_row.h): the attention's dot of an f32 query with a
// stored row and its axpy of a stored row into an f32 accumulator, converting inside the kernel (no row is
// decoded into a temporary). Inline dispatch on the storage type to the AVX2 kernels of kernels/cpu/dot.h; the
// F32 case calls exactly what the attention called before cache types existed (same results, same speed).
// Scalar twins: kernels/ref/cache_row_ref.h.
#pragma once

#include <cstdint>

#include "kernels/cache_row.h"
#include "kernels/cpu/dot.h"
#include "kernels/ops.h"

namespace r1::cpu {

// sum_i q[i] * value[begin + i], i < n; [begin, begin + n) lies within one part of the row.
inline float cache_dot(const CacheRowFormat& f, const uint8_t* row, int64_t begin, int64_t n, const float* q) {
  switch (f.type) {
    case DType::BF16: return dot_bf16(reinterpret_cast<const uint16_t*>(row) + begin, q, n);
    case DType::F8_E4M3: {
      const float s = cache_row_scale(f, row, begin);
      return dot_fp8(row + CacheRowFormat::kFp8Header + begin, &s, n > 0 ? n : 1, q, n);
    }
    default: return dot_f32(q, reinterpret_cast<const float*>(row) + begin, n);
  }
}

// y[i] += a * value[begin + i], i < n; within one part.
inline void cache_axpy(const CacheRowFormat& f, float a, const uint8_t* row, int64_t begin, int64_t n, float* y) {
  switch (f.type) {
    case DType::BF16: return axpy_bf16(a, reinterpret_cast<const uint16_t*>(row) + begin, n, y);
    case DType::F8_E4M3:
      return axpy_fp8(a * cache_row_scale(f, row, begin), row + CacheRowFormat::kFp8Header + begin, n, y);
    default: return ops::axpy(a, reinterpret_cast<const float*>(row) + begin, n, y);
  }
}

// out[h] = sum_i q[h * qstride + i] * value[begin + i] for nh queries (h < nh): the row is read once for all.
inline void cache_dot_heads(const CacheRowFormat& f, const uint8_t* row, int64_t begin, int64_t n, const float* q,
                            int64_t qstride, int64_t nh, float* out) {
  switch (f.type) {
    case DType::BF16: return dot_heads_bf16(reinterpret_cast<const uint16_t*>(row) + begin, n, q, qstride, nh, out);
    case DType::F8_E4M3:
      return dot_heads_fp8(row + CacheRowFormat::kFp8Header + begin, cache_row_scale(f, row, begin), n, q, qstride, nh,
                           out);
    default: return dot_heads_f32(reinterpret_cast<const float*>(row) + begin, n, q, qstride, nh, out);
  }
}

// y[h * ystride + i] += a[h] * value[begin + i] for nh accumulators (h < nh).
inline void cache_axpy_heads(const CacheRowFormat& f, const float* a, const uint8_t* row, int64_t begin, int64_t n,
                             float* y, int64_t ystride, int64_t nh) {
  switch (f.type) {
    case DType::BF16: return axpy_heads_bf16(a, reinterpret_cast<const uint16_t*>(row) + begin, n, y, ystride, nh);
    case DType::F8_E4M3: {
      const float s = cache_row_scale(f, row, begin);
      float as[64];
      for (int64_t h0 = 0; h0 < nh; h0 += 64) {  // the part's scale folded into the weights
        const int64_t hn = nh - h0 < 64 ? nh - h0 : 64;
        for (int64_t h = 0; h < hn; ++h) as[h] = a[h0 + h] * s;
        axpy_heads_fp8(as, row + CacheRowFormat::kFp8Header + begin, n, y + h0 * ystride, ystride, hn);
      }
      return;
    }
    default: return axpy_heads_f32(a, reinterpret_cast<const float*>(row) + begin, n, y, ystride, nh);
  }
}

// out[j] = sum_i q[i] * value_j[begin + i] for eight stored rows (j < 8), f32 storage only (the caller keeps
// cache_dot_heads for the other types, whose conversion is better shared between heads).
inline void cache_dot_rows8(const CacheRowFormat& f, const uint8_t* const* rows, int64_t begin, int64_t n,
                            const float* q, float* out) {
  (void)f;  // f32 rows: no header, no scale
  const float* v[8];
  for (int j = 0; j < 8; ++j) v[j] = reinterpret_cast<const float*>(rows[j]) + begin;
  dot_rows8_f32(v, n, q, out);
}

// y[h * ystride + i] += p[h * pstride + j] * value_j[begin + i] for eight stored rows, j = 0..7 in turn: the same
// bits as eight cache_axpy_heads calls. f32 storage only, like cache_dot_rows8.
inline void cache_axpy_rows8(const CacheRowFormat& f, const float* p, int64_t pstride, const uint8_t* const* rows,
                             int64_t begin, int64_t n, float* y, int64_t ystride, int64_t nh) {
  (void)f;
  const float* v[8];
  for (int j = 0; j < 8; ++j) v[j] = reinterpret_cast<const float*>(rows[j]) + begin;
  axpy_rows8_f32(p, pstride, v, n, y, ystride, nh);
}

}  // namespace r1::cpu
