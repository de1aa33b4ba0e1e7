#include "kernels/cache_row.h"

#include <cmath>

namespace r1 {

bool cache_type_from_name(const std::string& name, DType* out) {
  if (name == "f32") *out = DType::F32;
  else if (name == "bf16") *out = DType::BF16;
  else if (name == "fp8") *out = DType::F8_E4M3;
  else return false;
  return true;
}

const char* cache_type_name(DType t) {
  switch (t) {
    case DType::F32: return "f32";
    case DType::BF16: return "bf16";
    case DType::F8_E4M3: return "fp8";
    default: return "?";
  }
}

namespace {

// One part of an FP8 row: scale = amax / 448, codes of x / scale.
float store_fp8_part(const float* x, int64_t n, uint8_t* codes) {
  float amax = 0.0f;
  for (int64_t i = 0; i < n; ++i)
    if (std::isfinite(x[i])) amax = std::fmax(amax, std::fabs(x[i]));
  const float scale = amax > 0.0f ? amax / 448.0f : 1.0f;
  for (int64_t i = 0; i < n; ++i) codes[i] = std::isnan(x[i]) ? 0 : f32_to_fp8_e4m3(x[i] / scale);
  return scale;
}

}  // namespace

void cache_row_store(const CacheRowFormat& f, const float* x, uint8_t* row) {
  switch (f.type) {
    case DType::BF16:
      for (int64_t i = 0; i < f.width; ++i) {
        const uint16_t h = f32_to_bf16(x[i]);
        std::memcpy(row + 2 * i, &h, 2);
      }
      return;
    case DType::F8_E4M3: {
      uint8_t* codes = row + CacheRowFormat::kFp8Header;
      const float s0 = store_fp8_part(x, f.split, codes);
      const float s1 = store_fp8_part(x + f.split, f.width - f.split, codes + f.split);
      std::memcpy(row, &s0, 4);
      std::memcpy(row + 4, &s1, 4);
      return;
    }
    default: std::memcpy(row, x, size_t(f.width) * sizeof(float)); return;
  }
}

void cache_row_load(const CacheRowFormat& f, const uint8_t* row, int64_t begin, int64_t n, float* out) {
  if (n <= 0) return;  // (out may be null then)
  switch (f.type) {
    case DType::BF16:
      for (int64_t i = 0; i < n; ++i) {
        uint16_t h;
        std::memcpy(&h, row + 2 * (begin + i), 2);
        out[i] = bf16_to_f32(h);
      }
      return;
    case DType::F8_E4M3: {
      const float s = cache_row_scale(f, row, begin);
      const float* lut = fp8_e4m3_table();
      const uint8_t* codes = row + CacheRowFormat::kFp8Header + begin;
      for (int64_t i = 0; i < n; ++i) out[i] = lut[codes[i]] * s;
      return;
    }
    default: std::memcpy(out, row + 4 * begin, size_t(n) * sizeof(float)); return;
  }
}

}  // namespace r1
