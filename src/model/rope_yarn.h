// Rotary position embedding: MLA's decoupled rope channels with YaRN frequency correction, or the whole
// query/key heads of the GQA families with Llama 3's rescaling.
// DeepSeek's checkpoints store rope channels as interleaved pairs (2i, 2i+1) rotated as one complex number
// (= model.py apply_rotary_emb; llama.cpp's ROPE_TYPE_NORM); Hugging Face's Qwen2/Llama checkpoints pair
// channel i with i + d/2 (rotate_half; ROPE_TYPE_NEOX). ModelConfig::rope_style says which.
#pragma once

#include <vector>

#include "model/config.h"

namespace r1 {

// inv_freq[i] = theta^(-2i/d), i < d/2, d = rope_dim(); under YaRN blended with inv_freq/factor by the
// ramp between the correction dims of beta_fast and beta_slow (= model.py precompute_freqs_cis); under
// Llama 3 scaling divided by factor for wavelengths above original/low_freq_factor, kept below
// original/high_freq_factor, and blended linearly in 1/wavelength between.
std::vector<double> rope_inv_freq(const ModelConfig& c);

class Rope {
 public:
  explicit Rope(const ModelConfig& c);
  // Rotates x (qk_rope_head_dim) in place for position pos.
  void apply(float* x, int64_t pos) const { apply(x, pos, 1, 0); }
  // Rotates n_heads vectors x + h * stride (h < n_heads), all at position pos.
  void apply(float* x, int64_t pos, int64_t n_heads, int64_t stride) const;
  int64_t dim() const { return dim_; }

 private:
  int64_t dim_;
  RopeStyle style_;
  std::vector<double> inv_freq_;
  double attn_factor_;  // cos/sin multiplier: mscale(factor, mscale) / mscale(factor, mscale_all_dim)
  // cos / sin of the first table_positions_ positions, (pos, freq) row-major, computed as angles() computes
  // them (decode computed the same double sin / cos for every row at every layer, ~3 % of a small model's step).
  static constexpr int64_t kTablePositions = 4096;
  int64_t table_positions_ = 0;
  std::vector<float> cos_, sin_;
  void angles(int64_t pos, float* c, float* s) const;
};

}  // namespace r1
