// Multi-head Latent Attention (= model.py MLA.forward), two equivalent ways:
//  naive:  decompress every cached latent through wkv_b into per-head k_nope and v, attend as MHA;
//  absorb: fold wkv_b's K half into the query and its V half after the attention, so attention runs over
//          the cached latent directly (what decode uses: it reads kv_lora_rank + rope floats per position).
#pragma once

#include "model/config.h"
#include "model/latent_cache.h"
#include "model/rope_yarn.h"
#include "model/weights.h"

namespace r1 {

enum class AttnImpl { Naive, Absorb };

struct MLAContext {
  const ModelConfig& cfg;
  const Rope& rope;
  LatentCache& cache;
  int64_t layer;
};

// x (T, dim) normalized input at positions start_pos .. start_pos+T-1; writes their latents into the cache
// and y (T, dim) = attention output after wo. Causal over all positions < start_pos + T in the cache.
void mla_forward(const MLAContext& ctx, const MLAWeights& w, AttnImpl impl, const float* x, int64_t T,
                 int64_t start_pos, float* y);

}  // namespace r1
