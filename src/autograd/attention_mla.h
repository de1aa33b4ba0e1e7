// Causal Multi-head Latent Attention over whole sequences, naive (decompressed) form, for training
// (= model.py MLA.forward with attn_impl == "naive"):
//   q      = wq(x)                                   or  wq_b(q_norm(wq_a(x)))        (q-LoRA)
//   q[..., nope:] = rope(q[..., nope:])              each head [q_nope | q_pe]
//   [latent | k_pe] = wkv_a(x);  k_pe = rope(k_pe)   one rope head shared by all heads
//   [k_nope | v] = wkv_b(kv_norm(latent))            per head
//   k = [k_nope | k_pe];  o = softmax(q k^T * softmax_scale, causal) v;  y = wo(o)
#pragma once

#include <cstdint>
#include <vector>

#include "autograd/rope.h"
#include "model/config.h"

namespace r1::ag {

// Scaled causal attention per (batch, head):
//   o (B, S, H, dv) = softmax(q k^T * scale, causal) v, q/k (B, S, H, dqk), v (B, S, H, dv);
//   probs (B, H, S, S) receives the attention weights (zero above the diagonal) for the backward.
template <class T>
void attention_forward(T* o, T* probs, const T* q, const T* k, const T* v, int64_t B, int64_t S, int64_t H,
                       int64_t dqk, int64_t dv, double scale);
// dq, dk (B, S, H, dqk) and dvv (B, S, H, dv) += gradients, given dout (B, S, H, dv).
template <class T>
void attention_backward(T* dq, T* dk, T* dvv, const T* dout, const T* q, const T* k, const T* v, const T* probs,
                        int64_t B, int64_t S, int64_t H, int64_t dqk, int64_t dv, double scale);

// MLA weights (or their gradients): non-owning pointers into a ParamSet. wq is used when q_lora_rank == 0,
// wq_a / q_norm / wq_b otherwise; the others stay null.
template <class T>
struct MLAParams {
  T* wq = nullptr;       // (n_heads * qk_head_dim, dim)
  T* wq_a = nullptr;     // (q_lora_rank, dim)
  T* q_norm = nullptr;   // (q_lora_rank)
  T* wq_b = nullptr;     // (n_heads * qk_head_dim, q_lora_rank)
  T* wkv_a = nullptr;    // (kv_lora_rank + qk_rope_head_dim, dim): [latent | k_pe]
  T* kv_norm = nullptr;  // (kv_lora_rank)
  T* wkv_b = nullptr;    // (n_heads * (qk_nope_head_dim + v_head_dim), kv_lora_rank): per head [k_nope | v]
  T* wo = nullptr;       // (dim, n_heads * v_head_dim)
};

// What the backward needs; N = B * S rows.
template <class T>
struct MLAActs {
  std::vector<T> qa;       // (B, S, q_lora_rank)       wq_a(x)                      (q-LoRA only)
  std::vector<T> qn;       // (B, S, q_lora_rank)       q_norm(qa)                   (q-LoRA only)
  std::vector<T> q_rstd;   // (B, S)                                                 (q-LoRA only)
  std::vector<T> q;        // (B, S, n_heads, qk_head_dim)  after rope
  std::vector<T> latent;   // (B, S, kv_lora_rank)      wkv_a(x)[..., :kv_lora_rank]
  std::vector<T> kn;       // (B, S, kv_lora_rank)      kv_norm(latent)
  std::vector<T> kv_rstd;  // (B, S)
  std::vector<T> k;        // (B, S, n_heads, qk_head_dim)  [k_nope | rope(k_pe)]
  std::vector<T> v;        // (B, S, n_heads, v_head_dim)
  std::vector<T> probs;    // (B, n_heads, S, S)
  std::vector<T> o;        // (B, S, n_heads, v_head_dim)
};

// out (B, S, dim) = MLA(x), x (B, S, dim) the attn_norm output; positions 0..S-1 per sequence.
template <class T>
void mla_forward(const ModelConfig& c, const RopeTable<T>& rope, const MLAParams<T>& p, MLAActs<T>& acts, const T* x,
                 int64_t B, int64_t S, T* out);

// dx (B, S, dim) += dL/dx (may be null); grads += dL/dparams, given dout (B, S, dim).
template <class T>
void mla_backward(const ModelConfig& c, const RopeTable<T>& rope, const MLAParams<T>& p, const MLAParams<T>& grads,
                  const MLAActs<T>& acts, const T* x, int64_t B, int64_t S, const T* dout, T* dx);

}  // namespace r1::ag
