// The contract between MLA and whatever stores its cache (runtime/kv_cache.h implements it).
// Per layer and position the cache holds exactly kv_lora_rank + qk_rope_head_dim floats:
// [kv_norm(latent) (kv_lora_rank) | rope(k_pe) (qk_rope_head_dim)] — never decompressed keys or values.
#pragma once

#include <cstdint>
#include <vector>

namespace r1 {

class LatentCache {
 public:
  virtual ~LatentCache() = default;
  // Row of `width()` floats for (layer, pos); pos < capacity(). Rows of different positions need not be
  // adjacent (a paged cache keeps them in pages): address each position through row().
  virtual float* row(int64_t layer, int64_t pos) = 0;
  virtual int64_t width() const = 0;
  virtual int64_t capacity() const = 0;  // positions
};

// Pointers to the rows of positions 0..S-1 of one layer.
inline std::vector<const float*> cached_rows(LatentCache& cache, int64_t layer, int64_t S) {
  std::vector<const float*> r(static_cast<size_t>(S));
  for (int64_t s = 0; s < S; ++s) r[size_t(s)] = cache.row(layer, s);
  return r;
}

}  // namespace r1
