// Grouped-query attention (= Hugging Face's Qwen2Attention / LlamaAttention): n_heads query heads share
// n_kv_heads key/value heads (query head h reads KV head h / (n_heads / n_kv_heads)). The cache row of a
// position holds that position's keys (after RoPE) and values: [k (n_kv_heads, head_dim) | v (n_kv_heads,
// head_dim)] — the GQA family's equivalent of MLA's latent, behind the same LatentCache interface.
#pragma once

#include "model/config.h"
#include "model/latent_cache.h"
#include "model/mla.h"
#include "model/rope_yarn.h"
#include "model/weights.h"

namespace r1 {

// x (N, dim) normalized input; writes each row's keys and values into its cache, then y (N, dim) = attention
// output after wo, causal over positions <= pos[i] of the row's own cache. Rows may come from any sequences.
void gqa_forward(const ModelConfig& c, const Rope& rope, int64_t layer, const GQAWeights& w, const float* x,
                 const MLARows& rows, float* y);

}  // namespace r1
