// The model's parameters as views into the mapped checkpoint (norm vectors are small f32 copies).
// Names follow inference/model.py; io/hf_names.h translates them to the checkpoint's names.
#pragma once

#include <memory>
#include <vector>

#include "io/safetensors.h"
#include "model/config.h"
#include "quant/weight.h"

namespace r1 {

struct MLAWeights {
  Weight wq;                   // (n_heads * qk_head_dim, dim), only when q_lora_rank == 0
  Weight wq_a;                 // (q_lora_rank, dim)
  std::vector<float> q_norm;   // (q_lora_rank)
  Weight wq_b;                 // (n_heads * qk_head_dim, q_lora_rank)
  Weight wkv_a;                // (kv_lora_rank + qk_rope_head_dim, dim): [latent | k_pe]
  std::vector<float> kv_norm;  // (kv_lora_rank)
  Weight wkv_b;                // (n_heads * (qk_nope_head_dim + v_head_dim), kv_lora_rank): per head [k_nope | v]
  // wkv_b's k_nope rows transposed per head, (n_heads * kv_lora_rank, qk_nope_head_dim), so that absorbing the
  // query is a matmul like any other (add_absorb_layout, model/mla.h); only where the copy is exact (BF16, F32
  // wkv_b), else empty.
  Weight wkv_b_kt;
  Weight wo;                   // (dim, n_heads * v_head_dim)
};

// Grouped-query attention of the R1-Distill families (Qwen2, Llama): n_kv_heads key/value heads, each shared
// by n_heads / n_kv_heads query heads.
struct GQAWeights {
  Weight wq;                         // (n_heads * head_dim, dim)     q_proj
  Weight wk;                         // (n_kv_heads * head_dim, dim)  k_proj
  Weight wv;                         // (n_kv_heads * head_dim, dim)  v_proj
  Weight wo;                         // (dim, n_heads * head_dim)     o_proj (no bias)
  std::vector<float> bq, bk, bv;     // q/k/v biases (Qwen2; Llama with attention_bias); empty otherwise
};

struct MLPWeights {  // SwiGLU: w2(silu(w1 x) * w3 x)
  Weight w1;  // (inter, dim)  gate_proj
  Weight w2;  // (dim, inter)  down_proj
  Weight w3;  // (inter, dim)  up_proj
};

struct MoEWeights {
  Weight gate;                      // (n_routed_experts, dim), router logits in f32
  std::vector<float> bias;          // (n_routed_experts) e_score_correction_bias; empty unless noaux_tc
  std::vector<MLPWeights> experts;  // n_routed_experts, each moe_inter_dim wide
  MLPWeights shared_experts;        // n_shared_experts * moe_inter_dim wide; empty when n_shared_experts == 0
};

struct BlockWeights {
  std::vector<float> attn_norm, ffn_norm;  // (dim)
  MLAWeights attn;  // AttnKind::MLA
  GQAWeights gqa;   // AttnKind::GQA
  bool is_moe = false;
  MLPWeights mlp;  // dense layers
  MoEWeights moe;  // MoE layers
};

// Multi-token prediction module (DeepSeek-V3 §2.2), stored as layer n_layers + k. Recognised and bound here,
// kept out of the decoder stack; plain next-token inference does not use it.
struct MTPWeights {
  Weight embed;                        // (vocab_size, dim) embed_tokens (the main model's, duplicated)
  std::vector<float> enorm, hnorm;     // (dim) norms of the next token's embedding / of the hidden state
  Weight eh_proj;                      // (dim, 2 * dim) projection of [enorm(e) | hnorm(h)]
  BlockWeights block;                  // one full decoder block
  std::vector<float> norm;             // (dim) shared_head.norm
  Weight head;                         // (vocab_size, dim) shared_head.head
};

struct ModelWeights {
  Weight embed;              // (vocab_size, dim)
  std::vector<BlockWeights> layers;  // n_layers; the MTP layers (index >= n_layers) are not part of the stack
  std::vector<float> norm;   // (dim)
  Weight head;               // (vocab_size, dim); = embed when tie_word_embeddings
  std::vector<MTPWeights> mtp;  // num_nextn_predict_layers modules, when the checkpoint holds them
};

// Binds every tensor the config calls for; a missing tensor or a wrong shape/dtype throws r1::Error.
ModelWeights load_model_weights(const ModelConfig& cfg, const Checkpoint& ck);

// Bytes of weights one decode step reads for one token, as stored (quantized weights with their scales): every
// attention and dense weight, the router, the shared experts, n_activated_experts routed experts of average
// size, the head and one embedding row; norms and biases are left out (f32 vectors of dim size). Decode streams
// these from memory once per token, so bytes / read bandwidth bounds its speed.
int64_t decode_weight_bytes(const ModelConfig& cfg, const ModelWeights& w);

// A small vector parameter (norm weight, router bias) in any float dtype, copied to f32.
std::vector<float> load_vector(const Checkpoint& ck, const std::string& hf, int64_t n);

}  // namespace r1
