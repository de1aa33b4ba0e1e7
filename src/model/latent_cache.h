// The contract between the attention (MLA, and GQA for the R1-Distill families) and whatever stores its cache
// (runtime/kv_cache.h, runtime/paged_cache.h implement it).
// Per layer and position the cache holds exactly kv_lora_rank + qk_rope_head_dim values:
// [kv_norm(latent) (kv_lora_rank) | rope(k_pe) (qk_rope_head_dim)] — never decompressed keys or values —
// in the cache's storage type (f32, bf16 or fp8 e4m3 with per-part scales; kernels/cache_row.h). Rows are
// written through store() and read through the dtype-aware kernels of kernels/cpu/cache_row_ops.h.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/error.h"
#include "kernels/cache_row.h"
#include "model/config.h"

namespace r1 {

class LatentCache {
 public:
  virtual ~LatentCache() = default;
  // The stored row of (layer, pos), format().bytes() bytes; pos < capacity(). Rows of different positions need
  // not be adjacent (a paged cache keeps them in pages): address each position through row_bytes().
  virtual uint8_t* row_bytes(int64_t layer, int64_t pos) = 0;
  virtual const CacheRowFormat& format() const = 0;
  virtual int64_t capacity() const = 0;  // positions

  int64_t width() const { return format().width; }  // values per row
  DType dtype() const { return format().type; }
  // Encodes width() values into the row of (layer, pos).
  void store(int64_t layer, int64_t pos, const float* x) { cache_row_store(format(), x, row_bytes(layer, pos)); }
  // The row as floats: f32 caches only (tests and tools that poke at rows).
  float* row(int64_t layer, int64_t pos) {
    if (dtype() != DType::F32)
      throw Error("internal: float row access on a " + std::string(cache_type_name(dtype())) + " cache");
    return reinterpret_cast<float*>(row_bytes(layer, pos));
  }
};

// The row format of a model's cache in storage type `type`: parts [latent | rope key] for MLA, [keys | values]
// for GQA. A type other than f32, bf16, fp8 -> r1::Error.
inline CacheRowFormat cache_row_format(const ModelConfig& c, DType type) {
  require(type == DType::F32 || type == DType::BF16 || type == DType::F8_E4M3,
          std::string("KV cache storage type must be f32, bf16 or fp8, got ") + dtype_tag(type));
  CacheRowFormat f;
  f.type = type;
  f.width = c.latent_cache_width();
  f.split = c.attn == AttnKind::GQA ? c.n_kv_heads * c.head_dim : c.kv_lora_rank;
  return f;
}

// Pointers to the stored rows of positions 0..S-1 of one layer.
inline std::vector<const uint8_t*> cached_rows(LatentCache& cache, int64_t layer, int64_t S) {
  std::vector<const uint8_t*> r(static_cast<size_t>(S));
  for (int64_t s = 0; s < S; ++s) r[size_t(s)] = cache.row_bytes(layer, s);
  return r;
}

}  // namespace r1
