// The latent KV cache of one sequence: for every layer and position, kv_lora_rank + qk_rope_head_dim f32
// values (the normalised latent and the rotated shared rope key), stored layer-major and contiguous.
#pragma once

#include <vector>

#include "model/config.h"
#include "model/latent_cache.h"

namespace r1 {

class LatentKVCache final : public LatentCache {
 public:
  // extra_layers: room for the MTP modules' attention (layers n_layers .. n_layers + extra_layers - 1).
  LatentKVCache(const ModelConfig& c, int64_t capacity, int64_t extra_layers = 0);

  float* row(int64_t layer, int64_t pos) override { return &data_[size_t((layer * capacity_ + pos) * width_)]; }
  int64_t width() const override { return width_; }
  int64_t capacity() const override { return capacity_; }

  int64_t n_layers() const { return n_layers_; }
  // Bytes one token occupies in one layer / in all layers.
  int64_t bytes_per_token_layer() const { return width_ * int64_t(sizeof(float)); }
  int64_t bytes_per_token() const { return n_layers_ * bytes_per_token_layer(); }
  int64_t allocated_bytes() const { return int64_t(data_.size() * sizeof(float)); }

 private:
  int64_t n_layers_, width_, capacity_;
  std::vector<float> data_;  // (n_layers, capacity, kv_lora_rank + qk_rope_head_dim)
};

}  // namespace r1
