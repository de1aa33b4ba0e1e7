// Parameter and cache arithmetic for `r1 info`, derived from the config alone.
#pragma once

#include <cstdint>

#include "model/config.h"

namespace r1 {

struct ParamCount {
  int64_t total = 0;        // every decoder parameter incl. embedding, head and all experts (MTP excluded)
  int64_t mtp = 0;          // the MTP module(s) (embedding/head counted again when stored separately)
  int64_t active = 0;       // used per token: all but the unchosen routed experts and all but one embedding row
  int64_t routed_expert = 0;  // one routed expert
};

ParamCount count_params(const ModelConfig& c);

// Cache per token per layer, in values: what r1 stores (MLA's latent, or GQA's KV heads) vs multi-head
// attention with the same query heads.
inline int64_t mla_cache_values(const ModelConfig& c) { return c.latent_cache_width(); }
inline int64_t mha_cache_values(const ModelConfig& c) {
  if (c.attn == AttnKind::GQA) return 2 * c.n_heads * c.head_dim;
  return c.n_heads * (c.qk_head_dim() + c.v_head_dim);  // K (nope + rope) and V for every head
}

}  // namespace r1
