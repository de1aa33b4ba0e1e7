#include "autograd/model.h"

#include <algorithm>
#include <optional>

#include "autograd/embedding.h"
#include "autograd/linear.h"
#include "autograd/loss.h"
#include "autograd/moe_balance.h"
#include "autograd/norm.h"
#include "autograd/prof.h"
#include "core/error.h"

namespace r1::ag {

namespace {

template <class T>
BlockParams<T> bind_block(ParamSet<T>& ps, const ModelConfig& c, int64_t i, bool moe, bool grads) {
  const std::string L = "model.layers." + std::to_string(i) + ".";
  auto t = [&](const std::string& name) { return grads ? ps.grad(L + name) : ps.value(L + name); };
  auto opt = [&](const std::string& name) { return ps.has(L + name) ? t(name) : nullptr; };
  BlockParams<T> b;
  b.attn_norm = t("input_layernorm.weight");
  b.ffn_norm = t("post_attention_layernorm.weight");
  MLAParams<T>& a = b.attn;
  a.wq = opt("self_attn.q_proj.weight");
  a.wq_a = opt("self_attn.q_a_proj.weight");
  a.q_norm = opt("self_attn.q_a_layernorm.weight");
  a.wq_b = opt("self_attn.q_b_proj.weight");
  a.wkv_a = t("self_attn.kv_a_proj_with_mqa.weight");
  a.kv_norm = t("self_attn.kv_a_layernorm.weight");
  a.wkv_b = t("self_attn.kv_b_proj.weight");
  a.wo = t("self_attn.o_proj.weight");
  auto mlp = [&](const std::string& q, int64_t inter) {
    return MLPParams<T>{t(q + "gate_proj.weight"), t(q + "down_proj.weight"), t(q + "up_proj.weight"), inter};
  };
  b.is_moe = moe;
  if (!moe) {
    b.mlp = mlp("mlp.", c.inter_dim);
    return b;
  }
  b.moe.gate = t("mlp.gate.weight");
  if (!grads) b.moe.bias = opt("mlp.gate.e_score_correction_bias");
  for (int64_t j = 0; j < c.n_routed_experts; ++j)
    b.moe.experts.push_back(mlp("mlp.experts." + std::to_string(j) + ".", c.moe_inter_dim));
  if (c.n_shared_experts > 0) b.moe.shared = mlp("mlp.shared_experts.", c.n_shared_experts * c.moe_inter_dim);
  return b;
}

}  // namespace

template <class T>
ModelParams<T> bind_params(ParamSet<T>& ps, bool grads) {
  const ModelConfig& c = ps.config();
  auto t = [&](const std::string& name) { return grads ? ps.grad(name) : ps.value(name); };
  ModelParams<T> m;
  m.embed = t("model.embed_tokens.weight");
  for (int64_t i = 0; i < c.n_layers; ++i) m.layers.push_back(bind_block(ps, c, i, c.is_moe_layer(i), grads));
  m.norm = t("model.norm.weight");
  m.head = c.tie_word_embeddings ? m.embed : t("lm_head.weight");
  for (int64_t k = 0; k < c.n_mtp_layers; ++k) {
    const int64_t L = c.n_layers + k;
    const std::string p = "model.layers." + std::to_string(L) + ".";
    MTPParams<T> mp;
    mp.enorm = t(p + "enorm.weight");
    mp.hnorm = t(p + "hnorm.weight");
    mp.eh_proj = t(p + "eh_proj.weight");
    mp.block = bind_block(ps, c, L, c.n_routed_experts > 0, grads);
    mp.norm = t(p + "shared_head.norm.weight");
    m.mtp.push_back(std::move(mp));
  }
  return m;
}

template <class T>
ModelLoss model_forward(const ModelConfig& c, const ModelParams<T>& p, ModelActs<T>& a, const int32_t* tokens,
                        const int32_t* targets, int64_t B, int64_t S, double mtp_weight, double seq_aux_alpha) {
  require(B > 0 && S > 0, "model_forward: empty batch");
  require(int64_t(p.layers.size()) == c.n_layers, "model_forward: params bound for another config");
  const int64_t N = B * S, D = c.dim, V = c.vocab_size;
  a.B = B;
  a.S = S;
  a.tokens.assign(tokens, tokens + N);
  if (targets) a.targets.assign(targets, targets + N);
  else a.targets.clear();
  if (a.rope.seq_len < S) a.rope = rope_table<T>(c, S);
  a.h0.resize(size_t(N * D));
  embedding_forward(a.h0.data(), tokens, p.embed, N, V, D);
  a.layers.resize(size_t(c.n_layers));
  const T* h = a.h0.data();
  for (int64_t i = 0; i < c.n_layers; ++i) {
    block_forward(c, a.rope, p.layers[size_t(i)], a.layers[size_t(i)], h, B, S);
    h = a.layers[size_t(i)].out.data();
  }
  const prof::Scope ph("head+ce fwd (main)");
  a.hf.resize(size_t(N * D));
  a.rstd_f.resize(size_t(N));
  rmsnorm_forward(a.hf.data(), a.rstd_f.data(), h, p.norm, N, D, c.rms_norm_eps);
  a.logits.resize(size_t(N * V));
  linear_forward(a.logits.data(), a.hf.data(), p.head, (const T*)nullptr, N, D, V);
  ModelLoss loss;
  if (!targets) return loss;
  a.probs.resize(size_t(N * V));
  loss.main = double(cross_entropy_forward(a.probs.data(), a.logits.data(), targets, N, V));
  if (!a.row_weights.empty()) {
    require(int64_t(a.row_weights.size()) == N, "model_forward: row_weights must be (B, S)");
    a.target_logp.resize(size_t(N));
    target_logprobs(a.target_logp.data(), a.logits.data(), targets, N, V);
    loss.main = 0;
    for (int64_t n = 0; n < N; ++n)
      if (targets[n] != kIgnoreIndex) loss.main -= double(a.row_weights[size_t(n)]) * double(a.target_logp[size_t(n)]);
  }
  for (int64_t i = 0; i < c.n_layers; ++i)  // the sequence-wise balance loss of the main model's MoE layers
    if (p.layers[size_t(i)].is_moe) {
      const MoEActs<T>& m = a.layers[size_t(i)].moe;
      loss.seq_aux += seq_balance_forward(c, m.scores.data(), m.idx.data(), B, S);
    }

  // MTP depths, each over the positions whose token t_{i+k} is still inside the input.
  const int64_t depths = std::min<int64_t>(int64_t(p.mtp.size()), S - 1);
  a.mtp_h.resize(size_t(depths));
  a.mtp_next.resize(size_t(depths));
  a.mtp_tgt.resize(size_t(depths));
  a.mtp.resize(size_t(depths));
  a.mtp_probs.resize(size_t(depths));
  const prof::Scope pm("mtp fwd");
  const T* prev = a.hf.data();  // h^{k-1} (B, S - k + 1, dim)
  for (int64_t k = 1; k <= depths; ++k) {
    const int64_t Sk = S - k, j = k - 1;
    auto& hk = a.mtp_h[size_t(j)];
    hk.resize(size_t(B * Sk * D));
    auto& nx = a.mtp_next[size_t(j)];
    auto& tg = a.mtp_tgt[size_t(j)];
    nx.resize(size_t(B * Sk));
    tg.resize(size_t(B * Sk));
    for (int64_t b = 0; b < B; ++b)
      for (int64_t i = 0; i < Sk; ++i) {
        std::copy(prev + (b * (Sk + 1) + i) * D, prev + (b * (Sk + 1) + i + 1) * D, &hk[size_t((b * Sk + i) * D)]);
        nx[size_t(b * Sk + i)] = tokens[b * S + i + k];
        tg[size_t(b * Sk + i)] = targets[b * S + i + k];
      }
    mtp_forward(c, a.rope, p.mtp[size_t(j)], p.embed, p.head, a.mtp[size_t(j)], hk.data(), nx.data(), B, Sk);
    a.mtp_probs[size_t(j)].resize(size_t(B * Sk * V));
    loss.mtp += double(cross_entropy_forward(a.mtp_probs[size_t(j)].data(), a.mtp[size_t(j)].logits.data(), tg.data(),
                                             B * Sk, V));
    prev = a.mtp[size_t(j)].out.data();
  }
  if (depths > 0) loss.mtp /= double(depths);
  loss.total = loss.main + mtp_weight * loss.mtp + seq_aux_alpha * loss.seq_aux;
  return loss;
}

template <class T>
void model_backward(const ModelConfig& c, const ModelParams<T>& p, const ModelParams<T>& g, const ModelActs<T>& a,
                    double mtp_weight, double seq_aux_alpha) {
  require(!a.targets.empty(), "model_backward: the forward ran without targets");
  const int64_t B = a.B, S = a.S, N = B * S, D = c.dim, V = c.vocab_size;
  const int64_t depths = int64_t(a.mtp.size());
  // MTP depths, last first: depth k's gradient of h^{k-1} goes to depth k-1 (or to hf for k = 1).
  std::optional<prof::Scope> pm;
  pm.emplace("mtp bwd");
  std::vector<T> dnext;  // (B, S - k, dim) dL/dh^k from depth k + 1
  std::vector<T> dhf(size_t(N * D), T(0));  // (B, S, dim)
  for (int64_t k = depths; k >= 1; --k) {
    const int64_t Sk = S - k, j = k - 1;
    std::vector<T> dlog(size_t(B * Sk * V), T(0));  // (B, S - k, vocab_size)
    cross_entropy_backward(dlog.data(), a.mtp_probs[size_t(j)].data(), a.mtp_tgt[size_t(j)].data(), B * Sk, V,
                           T(mtp_weight / double(depths)));
    std::vector<T> dprev(size_t(B * Sk * D), T(0));  // (B, S - k, dim) dL/dh^{k-1}
    mtp_backward(c, a.rope, p.mtp[size_t(j)], g.mtp[size_t(j)], p.embed, p.head, g.embed, g.head, a.mtp[size_t(j)],
                 a.mtp_h[size_t(j)].data(), a.mtp_next[size_t(j)].data(), B, Sk, dlog.data(),
                 dnext.empty() ? nullptr : dnext.data(), dprev.data());
    // Positions 0..S-k-1 of h^{k-1}, which has S - k + 1 positions per sequence.
    std::vector<T>& dst = k == 1 ? dhf : dnext;
    if (k > 1) dst.assign(size_t(B * (Sk + 1) * D), T(0));
    for (int64_t b = 0; b < B; ++b)
      for (int64_t i = 0; i < Sk; ++i)
        for (int64_t d = 0; d < D; ++d) dst[size_t((b * (Sk + 1) + i) * D + d)] += dprev[size_t((b * Sk + i) * D + d)];
  }
  pm.reset();
  std::optional<prof::Scope> ph;
  ph.emplace("head+ce bwd (main)");
  std::vector<T> dlogits(size_t(N * V), T(0));  // (B, S, vocab_size)
  if (a.row_weights.empty()) cross_entropy_backward(dlogits.data(), a.probs.data(), a.targets.data(), N, V, T(1));
  else weighted_cross_entropy_backward(dlogits.data(), a.probs.data(), a.targets.data(), a.row_weights.data(), N, V);
  linear_backward(dhf.data(), g.head, (T*)nullptr, dlogits.data(), a.hf.data(), p.head, N, D, V);
  std::vector<T> dh(size_t(N * D), T(0)), dprev(size_t(N * D));  // (B, S, dim)
  std::vector<T> dscores;  // (B, S, n_routed_experts) d seq_aux_alpha * seq_aux / d scores of one MoE layer
  const T* hlast = c.n_layers > 0 ? a.layers.back().out.data() : a.h0.data();
  rmsnorm_backward(dh.data(), g.norm, dhf.data(), hlast, p.norm, a.rstd_f.data(), N, D);
  ph.reset();
  for (int64_t i = c.n_layers - 1; i >= 0; --i) {
    const T* hin = i > 0 ? a.layers[size_t(i - 1)].out.data() : a.h0.data();
    std::fill(dprev.begin(), dprev.end(), T(0));
    const bool aux = seq_aux_alpha != 0.0 && p.layers[size_t(i)].is_moe;
    if (aux) {
      const MoEActs<T>& m = a.layers[size_t(i)].moe;
      dscores.assign(m.scores.size(), T(0));
      seq_balance_backward(c, dscores.data(), m.scores.data(), m.idx.data(), B, S, seq_aux_alpha);
    }
    block_backward(c, a.rope, p.layers[size_t(i)], g.layers[size_t(i)], a.layers[size_t(i)], hin, B, S, dh.data(),
                   dprev.data(), aux ? dscores.data() : nullptr);
    dh.swap(dprev);
  }
  embedding_backward(g.embed, dh.data(), a.tokens.data(), N, D);
}

#define R1_INSTANTIATE(T)                                                                                         \
  template ModelParams<T> bind_params<T>(ParamSet<T>&, bool);                                                     \
  template ModelLoss model_forward<T>(const ModelConfig&, const ModelParams<T>&, ModelActs<T>&, const int32_t*,   \
                                      const int32_t*, int64_t, int64_t, double, double);                          \
  template void model_backward<T>(const ModelConfig&, const ModelParams<T>&, const ModelParams<T>&,               \
                                  const ModelActs<T>&, double, double);
R1_INSTANTIATE(float)
R1_INSTANTIATE(double)
#undef R1_INSTANTIATE

}  // namespace r1::ag
