#include "autograd/param_set.h"

#include <algorithm>

#include "core/error.h"
#include "io/hf_names.h"
#include "model/weights.h"
#include "quant/weight.h"

namespace r1::ag {

template <class T>
void ParamSet<T>::add(const std::string& ours, std::vector<int64_t> shape, bool trainable) {
  ParamInfo p;
  p.name = hf_name(ours);
  p.shape = std::move(shape);
  p.numel = 1;
  for (int64_t d : p.shape) p.numel *= d;
  p.offset = tensors_.empty() ? 0 : tensors_.back().offset + tensors_.back().numel;
  p.trainable = trainable;
  index_[p.name] = tensors_.size();
  tensors_.push_back(std::move(p));
}

template <class T>
ParamSet<T>::ParamSet(const ModelConfig& c) : cfg_(c) {
  require(c.dim > 0 && c.vocab_size > 0 && c.n_heads > 0, "ParamSet: config has no model dimensions");
  require(c.attn == AttnKind::MLA, "training is implemented for the DeepSeek architectures (MLA), not " + c.architecture);
  const int64_t D = c.dim, H = c.n_heads, qk = c.qk_head_dim();
  auto block = [&](int64_t i, bool moe) {
    const std::string p = "layers." + std::to_string(i) + ".";
    add(p + "attn_norm", {D});
    if (c.q_lora_rank == 0) {
      add(p + "attn.wq", {H * qk, D});
    } else {
      add(p + "attn.wq_a", {c.q_lora_rank, D});
      add(p + "attn.q_norm", {c.q_lora_rank});
      add(p + "attn.wq_b", {H * qk, c.q_lora_rank});
    }
    add(p + "attn.wkv_a", {c.kv_lora_rank + c.qk_rope_head_dim, D});
    add(p + "attn.kv_norm", {c.kv_lora_rank});
    add(p + "attn.wkv_b", {H * (c.qk_nope_head_dim + c.v_head_dim), c.kv_lora_rank});
    add(p + "attn.wo", {D, H * c.v_head_dim});
    add(p + "ffn_norm", {D});
    auto mlp = [&](const std::string& q, int64_t inter) {
      add(q + ".w1", {inter, D});
      add(q + ".w2", {D, inter});
      add(q + ".w3", {inter, D});
    };
    if (!moe) {
      mlp(p + "ffn", c.inter_dim);
      return;
    }
    add(p + "ffn.gate", {c.n_routed_experts, D});
    if (c.topk_method == TopkMethod::NoauxTc) add(p + "ffn.gate.bias", {c.n_routed_experts}, false);
    for (int64_t j = 0; j < c.n_routed_experts; ++j) mlp(p + "ffn.experts." + std::to_string(j), c.moe_inter_dim);
    if (c.n_shared_experts > 0) mlp(p + "ffn.shared_experts", c.n_shared_experts * c.moe_inter_dim);
  };
  add("embed", {c.vocab_size, D});
  for (int64_t i = 0; i < c.n_layers; ++i) block(i, c.is_moe_layer(i));
  add("norm", {D});
  if (!c.tie_word_embeddings) add("head", {c.vocab_size, D});
  for (int64_t k = 0; k < c.n_mtp_layers; ++k) {
    const int64_t L = c.n_layers + k;
    const std::string p = "layers." + std::to_string(L) + ".mtp.";
    add(p + "enorm", {D});
    add(p + "hnorm", {D});
    add(p + "eh_proj", {D, 2 * D});
    block(L, c.n_routed_experts > 0);  // as model/weights.cpp binds the MTP block
    add(p + "norm", {D});
  }
  const int64_t n = tensors_.back().offset + tensors_.back().numel;
  values_.assign(size_t(n), T(0));
  grads_.assign(size_t(n), T(0));
}

template <class T>
const ParamInfo& ParamSet<T>::info(const std::string& name) const {
  const auto it = index_.find(name);
  if (it == index_.end()) throw Error("ParamSet: no tensor '" + name + "' for this config");
  return tensors_[it->second];
}

template <class T>
void ParamSet<T>::zero_grad() {
  std::fill(grads_.begin(), grads_.end(), T(0));
}

template <class T>
void load_params(ParamSet<T>& ps, const Checkpoint& ck) {
  const ModelConfig& c = ps.config();
  std::vector<float> row;
  for (const ParamInfo& t : ps.tensors()) {
    T* dst = ps.values().data() + t.offset;
    if (t.shape.size() == 1) {
      const std::vector<float> v = load_vector(ck, t.name, t.shape[0]);
      for (int64_t i = 0; i < t.numel; ++i) dst[i] = T(v[size_t(i)]);
      continue;
    }
    const Weight w = load_weight(ck, t.name, t.shape[0], t.shape[1], c.fp8_block_out, c.fp8_block_in);
    row.resize(size_t(w.cols));
    for (int64_t r = 0; r < w.rows; ++r) {
      w.dequant_row(r, row.data());
      for (int64_t j = 0; j < w.cols; ++j) dst[r * w.cols + j] = T(row[size_t(j)]);
    }
  }
}

template class ParamSet<float>;
template class ParamSet<double>;
template void load_params<float>(ParamSet<float>&, const Checkpoint&);
template void load_params<double>(ParamSet<double>&, const Checkpoint&);

}  // namespace r1::ag
