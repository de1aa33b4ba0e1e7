#include "model/param_count.h"

namespace r1 {

namespace {

int64_t attention_params(const ModelConfig& c) {
  int64_t n = 2 * c.dim;  // attn_norm, ffn_norm (counted with the block)
  if (c.attn == AttnKind::GQA) {
    const int64_t q = c.n_heads * c.head_dim, kv = c.n_kv_heads * c.head_dim;
    return n + (q + 2 * kv) * c.dim + c.dim * q + (c.qkv_bias ? q + 2 * kv : 0);
  }
  n += c.q_lora_rank == 0 ? c.n_heads * c.qk_head_dim() * c.dim
                          : c.q_lora_rank * c.dim + c.q_lora_rank + c.n_heads * c.qk_head_dim() * c.q_lora_rank;
  n += (c.kv_lora_rank + c.qk_rope_head_dim) * c.dim + c.kv_lora_rank;
  n += c.n_heads * (c.qk_nope_head_dim + c.v_head_dim) * c.kv_lora_rank;
  n += c.dim * c.n_heads * c.v_head_dim;
  return n;
}

}  // namespace

ParamCount count_params(const ModelConfig& c) {
  ParamCount p;
  const int64_t mlp = 3 * c.dim * c.inter_dim;
  p.routed_expert = 3 * c.dim * c.moe_inter_dim;
  const int64_t shared = 3 * c.dim * c.n_shared_experts * c.moe_inter_dim;
  const int64_t gate = c.n_routed_experts * c.dim + (c.topk_method == TopkMethod::NoauxTc ? c.n_routed_experts : 0);
  const int64_t embed = c.vocab_size * c.dim, head = c.tie_word_embeddings ? 0 : c.vocab_size * c.dim;
  p.total = embed + head + c.dim;
  // one embedding row (part of the head when tied), the head, the final norm
  p.active = (c.tie_word_embeddings ? 0 : c.dim) + c.vocab_size * c.dim + c.dim;
  for (int64_t i = 0; i < c.n_layers; ++i) {
    const int64_t a = attention_params(c);
    p.total += a;
    p.active += a;
    if (c.is_moe_layer(i)) {
      p.total += gate + shared + c.n_routed_experts * p.routed_expert;
      p.active += gate + shared + c.n_activated_experts * p.routed_expert;
    } else {
      p.total += mlp;
      p.active += mlp;
    }
  }
  for (int64_t m = 0; m < c.n_mtp_layers; ++m)
    p.mtp += 2 * embed + 3 * c.dim + 2 * c.dim * c.dim + attention_params(c) + gate + shared +
             c.n_routed_experts * p.routed_expert;
  return p;
}

}  // namespace r1
