// Block-quantized weight rows (r1's q8 and q4) and the int8 activation blocks the fast dot products use.
// docs/formats.md explains the choices; these structs are the exact byte layout on disk and in memory.
//
// A weight row of `cols` values is ceil(cols / 32) blocks; the last block of a row whose width is not a
// multiple of 32 is padded with zeros. Rows are stored one after another, row_bytes(format, cols) apart.
#pragma once

#include <cstdint>

namespace r1 {

constexpr int64_t kQBlock = 32;  // weights per block, both formats

// q8: 32 signed 8-bit weights and one f16 scale. w[i] = d * q[i], q in [-127, 127]. 34 bytes = 8.5 bits/weight.
struct BlockQ8 {
  uint16_t d;        // scale, IEEE binary16
  int8_t q[kQBlock];
};
static_assert(sizeof(BlockQ8) == 34, "BlockQ8 must be packed: 2 + 32 bytes");

// q4: 32 signed 4-bit weights and one f16 scale. w[i] = d * (u[i] - 8), u in [0, 15] (q = u - 8 in [-8, 7]).
// Byte j holds weight j in its low nibble and weight j + 16 in its high nibble. 18 bytes = 4.5 bits/weight.
struct BlockQ4 {
  uint16_t d;
  uint8_t qs[kQBlock / 2];
};
static_assert(sizeof(BlockQ4) == 18, "BlockQ4 must be packed: 2 + 16 bytes");

// One block of an activation vector quantized for the integer dot products (never stored on disk):
// x[i] ~= d * q[i], q in [-127, 127]; neg8sum[l] = -8 * (q[4l] + q[4l+1] + q[4l+2] + q[4l+3]), the per-lane
// term the q4 kernel adds to turn sum(u * q) into sum((u - 8) * q) (one lane = 4 consecutive weights).
struct BlockQ8X {
  int8_t q[kQBlock];
  int32_t neg8sum[8];
  float d;
};

inline int64_t qblocks_per_row(int64_t cols) { return (cols + kQBlock - 1) / kQBlock; }

}  // namespace r1
