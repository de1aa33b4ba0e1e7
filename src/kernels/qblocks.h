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

// q4: blocks of 32 signed 4-bit weights with one f16 scale each, w[i] = d * (u[i] - 8), u in [0, 15]; 18 bytes
// a block = 4.5 bits/weight. The blocks of a row are stored in groups of 8 (the row's last group may hold
// fewer, k), scales first so that one load converts a group's eight:
//   [k f16 scales][k / 2 pairs of 32 code bytes][16 code bytes if k is odd]
// A pair (blocks 2i, 2i + 1 of the group) shares its 32 bytes: byte j holds weight j of the first block in its
// low nibble and weight j of the second in its high nibble, so one 32-byte load, a mask and a shift give both
// blocks' codes in order. An odd group's last block has 16 bytes: byte j holds weight j (low nibble) and weight
// j + 16 (high). A row is 18 * blocks bytes, as if the blocks were stored one after another.
constexpr int64_t kQ4Group = 8;
constexpr int64_t kQ4BlockBytes = 18;
// The "layout" of a q4 tensor's r1.quant metadata: files from before the grouping (no "layout") are refused.
constexpr const char* kQ4LayoutName = "groups8";

// Where block b of a q4 row of nb blocks keeps its scale and codes, and how its codes are packed.
struct Q4Block {
  const uint8_t* scale;  // 2 bytes, IEEE binary16
  const uint8_t* codes;  // 32 bytes shared with the pair's other block, or 16 bytes (an odd group's last block)
  int part;              // 0 / 1: low / high nibbles of a pair's 32 bytes; 2: a single block's 16 bytes
};
inline Q4Block q4_block(const uint8_t* row, int64_t nb, int64_t b) {
  const int64_t g = b / kQ4Group, i = b % kQ4Group;
  const int64_t k = nb - g * kQ4Group < kQ4Group ? nb - g * kQ4Group : kQ4Group;  // blocks in this group
  const uint8_t* base = row + g * kQ4Group * kQ4BlockBytes;
  const uint8_t* codes = base + 2 * k + 32 * (i / 2);
  return {base + 2 * i, codes, (k % 2 == 1 && i == k - 1) ? 2 : int(i % 2)};
}
// Code u[j] (0..15) of a block.
inline int q4_code(const Q4Block& q, int j) {
  if (q.part == 2) return j < 16 ? (q.codes[j] & 0x0f) : (q.codes[j - 16] >> 4);
  return q.part == 0 ? (q.codes[j] & 0x0f) : (q.codes[j] >> 4);
}

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
