// f32 rows -> r1's block formats q8 and q4 (layouts in kernels/qblocks.h, choices in docs/formats.md), and a
// whole Weight -> a quantized Weight that owns its bytes (load-time quantization, `r1 quantize`).
#pragma once

#include <cstdint>
#include <string>

#include "core/dtype.h"
#include "kernels/qblocks.h"
#include "quant/weight.h"

namespace r1 {

inline bool is_block_quant(DType t) { return t == DType::Q8 || t == DType::Q4; }
// Bytes of one row of `cols` weights in a block format (ceil(cols / 32) blocks).
int64_t quant_row_bytes(DType t, int64_t cols);
// "q8" / "q4" <-> DType; unknown names -> false.
bool quant_type_from_name(const std::string& name, DType* out);
const char* quant_type_name(DType t);  // "q8", "q4"

// Round-to-nearest quantizers. Every scale is an f16 no smaller than the block needs, so no value is clipped
// and |x - dequant(x)| <= d / 2 per block (d = the stored scale, up to f32 rounding of x / d).
//   q8: d = max|x| / 127 (rounded up to an f16), q = round(x / d).
//   q4: q in [-8, 7]; the extreme of larger magnitude goes to the -8 side (d's sign chosen so), the smallest
//       scale that clips nothing is d_min = max(|that extreme| / 8.5, |other side's extreme| / 7.5), and among
//       d_min * (1 + k / 16), k < 6, and the least-squares refit of each candidate's codes (when >= d_min) the
//       one with the least squared error is kept.
// Non-finite input, or a scale beyond f16's range (|x| > ~5e5), throws r1::Error.
void quantize_row_q8(const float* x, int64_t n, BlockQ8* out);
void quantize_row_q4(const float* x, int64_t n, uint8_t* out);  // one row: 18 * ceil(n / 32) bytes

// W (any format Weight reads) -> `type` (Q8 or Q4), rows quantized in parallel into memory the result owns
// (Weight::owner). Errors name the weight.
Weight quantize_weight(const Weight& w, DType type);

}  // namespace r1
