#include "runtime/kv_cache.h"

#include "core/error.h"

namespace r1 {

LatentKVCache::LatentKVCache(const ModelConfig& c, int64_t capacity, int64_t extra_layers, DType type)
    : n_layers_(c.n_layers + extra_layers), capacity_(capacity), format_(cache_row_format(c, type)) {
  require(capacity > 0, "context size must be positive");
  data_.assign(size_t(n_layers_ * capacity_ * format_.bytes()), 0);
}

}  // namespace r1
