// The latent KV cache of one sequence: for every layer and position, kv_lora_rank + qk_rope_head_dim values
// (the normalised latent and the rotated shared rope key) in the chosen storage type (f32 by default; bf16 or
// fp8, kernels/cache_row.h), stored layer-major and contiguous.
#pragma once

#include <vector>

#include "model/config.h"
#include "model/latent_cache.h"

namespace r1 {

class LatentKVCache final : public LatentCache {
 public:
  // extra_layers: room for the MTP modules' attention (layers n_layers .. n_layers + extra_layers - 1).
  // type: F32, BF16 or F8_E4M3 (else r1::Error).
  LatentKVCache(const ModelConfig& c, int64_t capacity, int64_t extra_layers = 0, DType type = DType::F32);

  uint8_t* row_bytes(int64_t layer, int64_t pos) override {
    return &data_[size_t((layer * capacity_ + pos) * format_.bytes())];
  }
  const CacheRowFormat& format() const override { return format_; }
  int64_t capacity() const override { return capacity_; }

  int64_t n_layers() const { return n_layers_; }
  // Bytes one token occupies in one layer / in all layers.
  int64_t bytes_per_token_layer() const { return format_.bytes(); }
  int64_t bytes_per_token() const { return n_layers_ * bytes_per_token_layer(); }
  int64_t allocated_bytes() const { return int64_t(data_.size()); }

 private:
  int64_t n_layers_, capacity_;
  CacheRowFormat format_;
  std::vector<uint8_t> data_;  // (n_layers, capacity, format_.bytes())
};

}  // namespace r1
