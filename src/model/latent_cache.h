// The contract between MLA and whatever stores its cache (runtime/kv_cache.h implements it).
// Per layer and position the cache holds exactly kv_lora_rank + qk_rope_head_dim floats:
// [kv_norm(latent) (kv_lora_rank) | rope(k_pe) (qk_rope_head_dim)] — never decompressed keys or values.
#pragma once

#include <cstdint>

namespace r1 {

class LatentCache {
 public:
  virtual ~LatentCache() = default;
  // Row of `width()` floats for (layer, pos); pos < capacity(). Rows of one layer are contiguous:
  // row(layer, p + 1) == row(layer, p) + width().
  virtual float* row(int64_t layer, int64_t pos) = 0;
  virtual int64_t width() const = 0;
  virtual int64_t capacity() const = 0;  // positions
};

}  // namespace r1
