#include "model/weights.h"

#include <algorithm>

#include "core/error.h"
#include "io/hf_names.h"

namespace r1 {

std::vector<float> load_vector(const Checkpoint& ck, const std::string& hf, int64_t n) {
  const TensorView& t = ck.get(hf, {n});
  std::vector<float> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    switch (t.dtype) {
      case DType::F32: v[size_t(i)] = reinterpret_cast<const float*>(t.data)[i]; break;
      case DType::BF16: v[size_t(i)] = bf16_to_f32(reinterpret_cast<const uint16_t*>(t.data)[i]); break;
      case DType::F16: v[size_t(i)] = f16_to_f32(reinterpret_cast<const uint16_t*>(t.data)[i]); break;
      default:
        throw Error(*t.file + ": tensor '" + hf + "' has dtype " + dtype_tag(t.dtype) + "; expected F32, BF16 or F16");
    }
  }
  return v;
}

namespace {

struct Binder {
  const ModelConfig& c;
  const Checkpoint& ck;
  Weight w(const std::string& ours, int64_t rows, int64_t cols) const {
    return load_weight(ck, hf_name(ours), rows, cols, c.fp8_block_out, c.fp8_block_in);
  }
  std::vector<float> v(const std::string& ours, int64_t n) const { return load_vector(ck, hf_name(ours), n); }
  MLPWeights mlp(const std::string& p, int64_t inter) const {
    return {w(p + ".w1", inter, c.dim), w(p + ".w2", c.dim, inter), w(p + ".w3", inter, c.dim)};
  }
};

}  // namespace

namespace {

GQAWeights load_gqa(const Binder& b, const std::string& p) {
  const ModelConfig& c = b.c;
  const int64_t q = c.n_heads * c.head_dim, kv = c.n_kv_heads * c.head_dim;
  GQAWeights g;
  g.wq = b.w(p + "attn.wq", q, c.dim);
  g.wk = b.w(p + "attn.wk", kv, c.dim);
  g.wv = b.w(p + "attn.wv", kv, c.dim);
  g.wo = b.w(p + "attn.wo", c.dim, q);
  if (c.qkv_bias) {
    g.bq = b.v(p + "attn.bq", q);
    g.bk = b.v(p + "attn.bk", kv);
    g.bv = b.v(p + "attn.bv", kv);
  }
  return g;
}

MLAWeights load_mla(const Binder& b, const std::string& p) {
  const ModelConfig& c = b.c;
  MLAWeights a;
  if (c.q_lora_rank == 0) {
    a.wq = b.w(p + "attn.wq", c.n_heads * c.qk_head_dim(), c.dim);
  } else {
    a.wq_a = b.w(p + "attn.wq_a", c.q_lora_rank, c.dim);
    a.q_norm = b.v(p + "attn.q_norm", c.q_lora_rank);
    a.wq_b = b.w(p + "attn.wq_b", c.n_heads * c.qk_head_dim(), c.q_lora_rank);
  }
  a.wkv_a = b.w(p + "attn.wkv_a", c.kv_lora_rank + c.qk_rope_head_dim, c.dim);
  a.kv_norm = b.v(p + "attn.kv_norm", c.kv_lora_rank);
  a.wkv_b = b.w(p + "attn.wkv_b", c.n_heads * (c.qk_nope_head_dim + c.v_head_dim), c.kv_lora_rank);
  a.wo = b.w(p + "attn.wo", c.dim, c.n_heads * c.v_head_dim);
  return a;
}

BlockWeights load_block(const Binder& b, int64_t i, bool moe) {
  const ModelConfig& c = b.c;
  const std::string p = "layers." + std::to_string(i) + ".";
  BlockWeights L;
  L.attn_norm = b.v(p + "attn_norm", c.dim);
  L.ffn_norm = b.v(p + "ffn_norm", c.dim);
  if (c.attn == AttnKind::GQA) L.gqa = load_gqa(b, p);
  else L.attn = load_mla(b, p);
  L.is_moe = moe;
  if (!moe) {
    L.mlp = b.mlp(p + "ffn", c.inter_dim);
    return L;
  }
  MoEWeights& e = L.moe;
  e.gate = b.w(p + "ffn.gate", c.n_routed_experts, c.dim);
  if (c.topk_method == TopkMethod::NoauxTc) e.bias = b.v(p + "ffn.gate.bias", c.n_routed_experts);
  for (int64_t j = 0; j < c.n_routed_experts; ++j)
    e.experts.push_back(b.mlp(p + "ffn.experts." + std::to_string(j), c.moe_inter_dim));
  if (c.n_shared_experts > 0) e.shared_experts = b.mlp(p + "ffn.shared_experts", c.n_shared_experts * c.moe_inter_dim);
  return L;
}

}  // namespace

ModelWeights load_model_weights(const ModelConfig& c, const Checkpoint& ck) {
  const Binder b{c, ck};
  ModelWeights m;
  m.embed = b.w("embed", c.vocab_size, c.dim);
  m.norm = b.v("norm", c.dim);
  m.head = c.tie_word_embeddings ? m.embed : b.w("head", c.vocab_size, c.dim);
  for (int64_t i = 0; i < c.n_layers; ++i) m.layers.push_back(load_block(b, i, c.is_moe_layer(i)));
  for (int64_t k = 0; k < c.n_mtp_layers; ++k) {
    const int64_t L = c.n_layers + k;
    const std::string p = "layers." + std::to_string(L) + ".mtp.";
    if (!ck.has(hf_name(p + "eh_proj"))) break;  // some conversions strip the MTP module; it is optional
    MTPWeights t;
    t.embed = b.w(p + "embed", c.vocab_size, c.dim);
    t.enorm = b.v(p + "enorm", c.dim);
    t.hnorm = b.v(p + "hnorm", c.dim);
    t.eh_proj = b.w(p + "eh_proj", c.dim, 2 * c.dim);
    t.block = load_block(b, L, c.n_routed_experts > 0);
    t.norm = b.v(p + "norm", c.dim);
    t.head = b.w(p + "head", c.vocab_size, c.dim);
    m.mtp.push_back(std::move(t));
  }
  return m;
}

int64_t decode_weight_bytes(const ModelConfig& cfg, const ModelWeights& w) {
  auto mlp = [](const MLPWeights& m) { return m.w1.nbytes() + m.w2.nbytes() + m.w3.nbytes(); };
  int64_t b = w.embed.nbytes() / std::max<int64_t>(1, w.embed.rows) + w.head.nbytes();
  for (int64_t l = 0; l < cfg.n_layers; ++l) {
    const BlockWeights& L = w.layers[size_t(l)];
    for (const Weight* x : {&L.attn.wq, &L.attn.wq_a, &L.attn.wq_b, &L.attn.wkv_a, &L.attn.wkv_b, &L.attn.wo,
                            &L.gqa.wq, &L.gqa.wk, &L.gqa.wv, &L.gqa.wo})
      b += x->nbytes();
    if (!L.is_moe) {
      b += mlp(L.mlp);
      continue;
    }
    int64_t routed = 0;
    for (const auto& e : L.moe.experts) routed += mlp(e);
    b += L.moe.gate.nbytes() + mlp(L.moe.shared_experts) +
         routed * cfg.n_activated_experts / std::max<int64_t>(1, int64_t(L.moe.experts.size()));
  }
  return b;
}

}  // namespace r1
