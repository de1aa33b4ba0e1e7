// Rotary position embedding of MLA's decoupled rope channels, with YaRN frequency correction.
// The checkpoints store rope channels as interleaved pairs (2i, 2i+1) rotated as one complex number
// (= model.py apply_rotary_emb; llama.cpp's ROPE_TYPE_NORM). Rotating halves (NeoX) would be wrong here.
#pragma once

#include <vector>

#include "model/config.h"

namespace r1 {

// inv_freq[i] = theta^(-2i/d), i < d/2, d = qk_rope_head_dim; under YaRN blended with inv_freq/factor by the
// ramp between the correction dims of beta_fast and beta_slow (= model.py precompute_freqs_cis).
std::vector<double> rope_inv_freq(const ModelConfig& c);

class Rope {
 public:
  explicit Rope(const ModelConfig& c);
  // Rotates x (qk_rope_head_dim) in place for position pos.
  void apply(float* x, int64_t pos) const;
  int64_t dim() const { return dim_; }

 private:
  int64_t dim_;
  std::vector<double> inv_freq_;
  double attn_factor_;  // cos/sin multiplier: mscale(factor, mscale) / mscale(factor, mscale_all_dim)
};

}  // namespace r1
