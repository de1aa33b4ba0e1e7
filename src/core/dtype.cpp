#include "core/dtype.h"

#include <algorithm>
#include <cmath>

namespace r1 {

bool dtype_from_tag(const std::string& tag, DType* out) {
  static const struct { const char* tag; DType t; } kTags[] = {
      {"F32", DType::F32}, {"F16", DType::F16}, {"BF16", DType::BF16}, {"F8_E4M3", DType::F8_E4M3},
      {"I8", DType::I8},   {"U8", DType::U8},   {"I32", DType::I32},   {"I64", DType::I64}};
  for (const auto& e : kTags)
    if (tag == e.tag) {
      *out = e.t;
      return true;
    }
  return false;
}

const char* dtype_tag(DType t) {
  switch (t) {
    case DType::F32: return "F32";
    case DType::F16: return "F16";
    case DType::BF16: return "BF16";
    case DType::F8_E4M3: return "F8_E4M3";
    case DType::I8: return "I8";
    case DType::U8: return "U8";
    case DType::I32: return "I32";
    case DType::I64: return "I64";
    case DType::Q8: return "Q8";
    case DType::Q4: return "Q4";
  }
  return "?";
}

size_t dtype_size(DType t) {
  switch (t) {
    case DType::F32: case DType::I32: return 4;
    case DType::F16: case DType::BF16: return 2;
    case DType::F8_E4M3: case DType::I8: case DType::U8: return 1;
    case DType::I64: return 8;
    case DType::Q8: case DType::Q4: return 0;
  }
  return 0;
}

uint16_t f32_to_bf16(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  if ((u & 0x7fffffffu) > 0x7f800000u) return uint16_t((u >> 16) | 0x40);  // quiet NaN
  u += 0x7fffu + ((u >> 16) & 1u);
  return uint16_t(u >> 16);
}

float f16_to_f32(uint16_t h) {
  const uint32_t sign = uint32_t(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1fu;
  const uint32_t man = h & 0x3ffu;
  float v;
  if (exp == 0) {
    v = std::ldexp(float(man), -24);  // subnormal (or zero)
  } else if (exp == 31) {
    v = man ? NAN : INFINITY;
  } else {
    v = std::ldexp(float(man | 0x400u), int(exp) - 25);
  }
  uint32_t u;
  std::memcpy(&u, &v, 4);
  u |= sign;
  std::memcpy(&v, &u, 4);
  return v;
}

uint16_t f32_to_f16(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  const uint16_t sign = uint16_t((u >> 16) & 0x8000u);
  const float a = std::fabs(f);
  if (std::isnan(f)) return uint16_t(sign | 0x7e00u);
  if (a >= 65520.0f) return uint16_t(sign | 0x7c00u);  // rounds to infinity
  if (a < std::ldexp(1.0f, -14)) {                    // subnormal range: multiples of 2^-24
    const float q = std::nearbyint(a * 16777216.0f);  // ties to even under the default rounding mode
    return uint16_t(sign | uint16_t(q));
  }
  int e;
  const float m = std::frexp(a, &e);                          // a = m * 2^e, m in [0.5, 1)
  float q = std::nearbyint(std::ldexp(m, 11));                 // 11 significant bits
  if (q >= 2048.0f) { q *= 0.5f; ++e; }
  const uint16_t exp = uint16_t(e - 1 + 15);
  return uint16_t(sign | (exp << 10) | (uint16_t(q) & 0x3ffu));
}

float fp8_e4m3_to_f32(uint8_t b) {
  const int sign = b >> 7, exp = (b >> 3) & 0xf, man = b & 0x7;
  float v;
  if (exp == 15 && man == 7) return NAN;
  if (exp == 0) v = std::ldexp(float(man), -9);       // (m/8) * 2^-6
  else v = std::ldexp(float(8 + man), exp - 7 - 3);   // (1 + m/8) * 2^(e-7)
  return sign ? -v : v;
}

const float* fp8_e4m3_table() {
  static const struct Table {
    float v[256];
    Table() {
      for (int i = 0; i < 256; ++i) v[i] = fp8_e4m3_to_f32(uint8_t(i));
    }
  } table;
  return table.v;
}

uint8_t f32_to_fp8_e4m3(float f) {
  if (std::isnan(f)) return 0x7f;
  const uint8_t sign = std::signbit(f) ? 0x80 : 0x00;
  float a = std::fabs(f);
  if (a >= 448.0f) return uint8_t(sign | 0x7e);  // saturate to the largest finite value
  // Spacing of representable values: 2^-9 below 2^-6 (subnormals), else 2^(e-3) within [2^e, 2^(e+1)).
  int e;
  std::frexp(a, &e);  // a in [2^(e-1), 2^e)
  const int step_exp = std::max(e - 1 - 3, -9);
  const float q = std::nearbyint(std::ldexp(a, -step_exp));  // ties to even
  const float r = std::ldexp(q, step_exp);
  // Encode r exactly (r is representable, possibly rounded up into the next binade).
  if (r == 0.0f) return sign;
  int re;
  std::frexp(r, &re);  // r in [2^(re-1), 2^re)
  const int exp_field = re - 1 + 7;
  if (exp_field <= 0) return uint8_t(sign | uint8_t(std::ldexp(r, 9)));  // subnormal: r = m * 2^-9
  const int man = int(std::ldexp(r, -(re - 1) + 3)) - 8;
  return uint8_t(sign | (exp_field << 3) | man);
}

}  // namespace r1
