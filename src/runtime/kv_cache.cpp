#include "runtime/kv_cache.h"

#include "core/error.h"

namespace r1 {

LatentKVCache::LatentKVCache(const ModelConfig& c, int64_t capacity, int64_t extra_layers)
    : n_layers_(c.n_layers + extra_layers), width_(c.latent_cache_width()), capacity_(capacity) {
  require(capacity > 0, "context size must be positive");
  data_.assign(size_t(n_layers_ * capacity_ * width_), 0.0f);
}

}  // namespace r1
