// Rotary embedding of MLA's decoupled rope channels with YaRN frequencies (= model.py apply_rotary_emb).
// Channels come in interleaved pairs (2i, 2i+1) rotated as one complex number, like the checkpoints and
// src/model/rope_yarn; frequencies come from r1::rope_inv_freq, so training and inference share them.
#pragma once

#include <cstdint>
#include <vector>

#include "model/config.h"

namespace r1::ag {

// cos/sin of position p (0 <= p < seq_len) and pair i, times YaRN's cos/sin factor
// mscale(factor, mscale) / mscale(factor, mscale_all_dim) (1 in published configs), rounded to T as inference does.
template <class T>
struct RopeTable {
  int64_t seq_len = 0, half = 0;  // half = qk_rope_head_dim / 2
  std::vector<T> cos, sin;        // (seq_len, half)
};

template <class T>
RopeTable<T> rope_table(const ModelConfig& c, int64_t seq_len);

// x viewed (B, S, H, stride): rotates channels [off, off + 2 * half) of every head in place, head of token
// (b, s) by position s. S <= table.seq_len.
template <class T>
void rope_forward(T* x, const RopeTable<T>& table, int64_t B, int64_t S, int64_t H, int64_t stride, int64_t off);

// The transpose, in place on the gradient: dx = R^T dy, same layout as the forward.
template <class T>
void rope_backward(T* d, const RopeTable<T>& table, int64_t B, int64_t S, int64_t H, int64_t stride, int64_t off);

}  // namespace r1::ag
