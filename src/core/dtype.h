// Scalar number formats found in checkpoints, and their exact conversions to and from f32.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

namespace r1 {

// Q8 and Q4 are r1's block-quantized weight formats (kernels/qblocks.h, quant/quantize.h): in a
// safetensors file they are U8 tensors described by the header's __metadata__, never a dtype tag of their own.
enum class DType { F32, F16, BF16, F8_E4M3, I8, U8, I32, I64, Q8, Q4 };

// safetensors tag ("F32", "BF16", "F8_E4M3", ...) <-> DType. Unknown tag -> false.
// dtype_from_tag accepts only safetensors tags (not Q8/Q4).
bool dtype_from_tag(const std::string& tag, DType* out);
const char* dtype_tag(DType t);
// Bytes per element; 0 for the block formats Q8/Q4, whose rows are sized by quant_row_bytes (quant/quantize.h).
size_t dtype_size(DType t);

// bf16 is the upper half of an f32; conversion from f32 rounds to nearest even (NaN stays NaN).
inline float bf16_to_f32(uint16_t h) {
  uint32_t u = uint32_t(h) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}
uint16_t f32_to_bf16(float f);

// IEEE binary16.
float f16_to_f32(uint16_t h);
uint16_t f32_to_f16(float f);

// FP8 E4M3 ("e4m3fn"): 1 sign, 4 exponent bits (bias 7), 3 mantissa bits; exponent 0 is subnormal
// (m/8 * 2^-6); no infinities; 0x7F/0xFF are NaN; largest finite value 448.
float fp8_e4m3_to_f32(uint8_t b);
// Round to nearest even; values beyond +-448 saturate to +-448; NaN -> 0x7F.
uint8_t f32_to_fp8_e4m3(float f);
// The 256-entry decode table (built once from the definition above).
const float* fp8_e4m3_table();

}  // namespace r1
