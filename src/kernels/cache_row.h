// One row of the latent KV cache in its storage type: the layout and the codec, shared by every cache
// (runtime/kv_cache.h, runtime/paged_cache.h). The attention reads stored rows through the dtype-aware kernels
// cpu::cache_dot / cpu::cache_axpy (kernels/cpu/cache_row_ops.h; scalar twins in kernels/ref/cache_row_ref.h).
//
// A row holds `width` values in two parts, [0, split) and [split, width): MLA's normalised latent and rotated
// rope key; GQA's keys and values. Storage types (docs/numerics.md, "KV cache storage"):
//   F32      width f32 values: stored exactly (the default).
//   BF16     width bf16 values, f32_to_bf16 (round to nearest even): |error| <= 2^-8 |x| per value.
//   F8_E4M3  8 bytes of header, two f32 scales (part 0's, then part 1's), then width e4m3 codes: a value is
//            code * scale of its part, scale = amax |x| over the part / 448 (1 for an all-zero part), codes by
//            f32_to_fp8_e4m3 (round to nearest even, saturating at 448). |error| <= max(2^-4 |x|, 2^-10 scale)
//            per value (2^-10 scale: half the subnormal step). NaN-free: a NaN input stores 0, never a NaN code.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>

#include "core/dtype.h"

namespace r1 {

struct CacheRowFormat {
  DType type = DType::F32;  // F32, BF16 or F8_E4M3
  int64_t width = 0;        // values per row
  int64_t split = 0;        // first value of part 1
  static constexpr int64_t kFp8Header = 8;

  int64_t header_bytes() const { return type == DType::F8_E4M3 ? kFp8Header : 0; }
  int64_t bytes() const { return header_bytes() + width * int64_t(dtype_size(type)); }
};

// Command-line names: "f32" | "bf16" | "fp8" <-> DType::F32 | BF16 | F8_E4M3. Unknown name -> false.
bool cache_type_from_name(const std::string& name, DType* out);
const char* cache_type_name(DType t);  // "f32", "bf16", "fp8"; "?" for other types

// F8_E4M3 rows: the scale of the part holding value i.
inline float cache_row_scale(const CacheRowFormat& f, const uint8_t* row, int64_t i) {
  float s;
  std::memcpy(&s, row + (i < f.split ? 0 : 4), 4);
  return s;
}

// Encodes the width values x into the row (f.bytes() bytes).
void cache_row_store(const CacheRowFormat& f, const float* x, uint8_t* row);
// Decodes values [begin, begin + n) of a row into out (a range within one part).
void cache_row_load(const CacheRowFormat& f, const uint8_t* row, int64_t begin, int64_t n, float* out);

}  // namespace r1
