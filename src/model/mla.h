// Multi-head Latent Attention (= model.py MLA.forward), two equivalent ways:
//  naive:  decompress every cached latent through wkv_b into per-head k_nope and v, attend as MHA;
//  absorb: fold wkv_b's K half into the query and its V half after the attention, so attention runs over
//          the cached latent directly (what decode uses: it reads kv_lora_rank + rope floats per position).
// A call processes N rows; row i is one token at position pos[i] of the sequence whose cache is cache[i], so
// one call can prefill a prompt (one cache, consecutive positions) or decode a batch of sequences (one row
// each): the projections read every weight once for all rows.
#pragma once

#include "model/config.h"
#include "model/latent_cache.h"
#include "model/rope_yarn.h"
#include "quant/weight.h"
#include "model/weights.h"

namespace r1 {

enum class AttnImpl { Naive, Absorb };

struct MLARows {
  int64_t n = 0;
  const int64_t* pos = nullptr;          // (n) position of each row in its sequence
  LatentCache* const* cache = nullptr;   // (n) the row's sequence cache; rows of one cache in increasing pos
  LinearPass pass = LinearPass::Auto;    // the kernels of the rows' projections: Prompt or Decode (quant/weight.h)
};

// x (N, dim) normalized input; writes each row's latent into its cache, then y (N, dim) = attention output
// after wo, causal over positions <= pos[i] of the row's own cache. Naive needs all rows in one cache at
// consecutive positions (a prompt); absorb takes any rows.
void mla_forward(const ModelConfig& c, const Rope& rope, int64_t layer, const MLAWeights& w, AttnImpl impl,
                 const float* x, const MLARows& rows, float* y);

// Fills w.wkv_b_kt from w.wkv_b when wkv_b is stored as BF16 or F32 (an exact copy, 2 bytes a weight of W_UK for
// BF16: V2-Lite 2 MiB a layer); clears it otherwise (quantized or FP8 wkv_b: the absorbed attention dequantizes
// W_UK rows instead). Call it once the weights are final (after a load-time quantization).
void add_absorb_layout(const ModelConfig& c, MLAWeights& w);

}  // namespace r1
