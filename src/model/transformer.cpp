#include "model/transformer.h"

#include <vector>

#include "core/error.h"
#include "kernels/ops.h"
#include "model/ffn.h"

namespace r1 {

Model::Model(const std::string& dir)
    : dir_(dir),
      cfg_(load_model_config(dir)),
      ck_(std::make_unique<Checkpoint>(dir)),
      w_(load_model_weights(cfg_, *ck_)),
      rope_(cfg_) {}

void Model::forward(const int32_t* tokens, int64_t T, int64_t start_pos, LatentCache& cache, float* logits,
                    AttnMode mode, float* all_logits) const {
  const ModelConfig& c = cfg_;
  const int64_t D = c.dim;
  require(T > 0, "forward: no tokens");
  require(cache.width() == c.latent_cache_width(), "forward: cache width does not match the model");
  if (start_pos + T > cache.capacity())
    throw Error("sequence of " + std::to_string(start_pos + T) + " tokens exceeds the context of " +
                std::to_string(cache.capacity()) + " tokens");
  for (int64_t t = 0; t < T; ++t)
    if (tokens[t] < 0 || tokens[t] >= c.vocab_size)
      throw Error("token id " + std::to_string(tokens[t]) + " at position " + std::to_string(start_pos + t) +
                  " is out of range (vocab_size " + std::to_string(c.vocab_size) + ")");
  const AttnImpl impl = mode == AttnMode::Naive    ? AttnImpl::Naive
                        : mode == AttnMode::Absorb ? AttnImpl::Absorb
                        : (T > 1 ? AttnImpl::Naive : AttnImpl::Absorb);

  std::vector<float> h(size_t(T * D)), x(size_t(T * D)), y(size_t(T * D));  // (T, dim)
  for (int64_t t = 0; t < T; ++t) w_.embed.dequant_row(tokens[t], &h[size_t(t * D)]);
  const float eps = float(c.rms_norm_eps);
  for (int64_t i = 0; i < c.n_layers; ++i) {  // = model.py Block.forward
    const BlockWeights& L = w_.layers[size_t(i)];
    for (int64_t t = 0; t < T; ++t) ops::rmsnorm(&h[size_t(t * D)], L.attn_norm.data(), eps, D, &x[size_t(t * D)]);
    mla_forward({c, rope_, cache, i}, L.attn, impl, x.data(), T, start_pos, y.data());
    for (int64_t j = 0; j < T * D; ++j) h[size_t(j)] += y[size_t(j)];  // x = x + attn(attn_norm(x))
    for (int64_t t = 0; t < T; ++t) ops::rmsnorm(&h[size_t(t * D)], L.ffn_norm.data(), eps, D, &x[size_t(t * D)]);
    if (L.is_moe) moe_forward(c, L.moe, x.data(), T, y.data());
    else mlp_forward(L.mlp, x.data(), T, y.data());
    for (int64_t j = 0; j < T * D; ++j) h[size_t(j)] += y[size_t(j)];  // x = x + ffn(ffn_norm(x))
  }
  if (all_logits) {
    for (int64_t t = 0; t < T; ++t) ops::rmsnorm(&h[size_t(t * D)], w_.norm.data(), eps, D, &x[size_t(t * D)]);
    linear(w_.head, x.data(), T, all_logits);
    if (logits)
      for (int64_t v = 0; v < c.vocab_size; ++v) logits[v] = all_logits[(T - 1) * c.vocab_size + v];
    return;
  }
  ops::rmsnorm(&h[size_t((T - 1) * D)], w_.norm.data(), eps, D, x.data());
  linear(w_.head, x.data(), 1, logits);
}

}  // namespace r1
