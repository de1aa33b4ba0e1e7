#include "model/transformer.h"

#include <algorithm>
#include <vector>

#include "core/error.h"
#include "kernels/ops.h"
#include "model/ffn.h"
#include "model/gqa.h"
#include "model/mla.h"
#include "model/quantize_model.h"

namespace r1 {

Model::Model(const std::string& dir, const ModelLoadOptions& opts)
    : dir_(dir),
      cfg_(load_model_config(dir)),
      // With a load-time quantization decode reads the quantized copies; a copy of the file would only double
      // the memory, so it is mapped.
      ck_(std::make_unique<Checkpoint>(dir, opts.quant ? WeightMemory::Map : opts.memory)),
      w_(load_model_weights(cfg_, *ck_)),
      rope_(cfg_) {
  if (opts.quant) quantize_model_weights(w_, *opts.quant);
  for (BlockWeights& b : w_.layers) add_absorb_layout(cfg_, b.attn);
  for (MTPWeights& t : w_.mtp) add_absorb_layout(cfg_, t.block.attn);
}

namespace {

// Auto: naive for a prompt, absorbed for decode (never by the number of rows: a one-token prompt chunk is
// still a prompt).
AttnImpl attn_impl(AttnMode mode, LinearPass pass) {
  return mode == AttnMode::Naive    ? AttnImpl::Naive
         : mode == AttnMode::Absorb ? AttnImpl::Absorb
                                    : (pass == LinearPass::Prompt ? AttnImpl::Naive : AttnImpl::Absorb);
}

}  // namespace

void Model::forward(const int32_t* tokens, int64_t T, int64_t start_pos, LatentCache& cache, float* logits,
                    AttnMode mode, float* all_logits, float* hidden) const {
  require(T > 0, "forward: no tokens");
  std::vector<Row> rows(static_cast<size_t>(T));
  for (int64_t t = 0; t < T; ++t) rows[size_t(t)] = {tokens[t], start_pos + t, &cache, all_logits != nullptr || t == T - 1};
  std::vector<int64_t> out;
  for (int64_t t = 0; t < T; ++t)
    if (rows[size_t(t)].want_logits) out.push_back(t);
  run(rows, attn_impl(mode, LinearPass::Prompt), LinearPass::Prompt, out, all_logits ? all_logits : logits, hidden);
  if (all_logits && logits)
    for (int64_t v = 0; v < cfg_.vocab_size; ++v) logits[v] = all_logits[(T - 1) * cfg_.vocab_size + v];
}

void Model::forward_hidden(const int32_t* tokens, int64_t T, int64_t start_pos, LatentCache& cache, float* logits,
                           float* all_hidden, AttnMode mode) const {
  require(T > 0, "forward: no tokens");
  std::vector<Row> rows(static_cast<size_t>(T));
  for (int64_t t = 0; t < T; ++t) rows[size_t(t)] = {tokens[t], start_pos + t, &cache, t == T - 1};
  run(rows, attn_impl(mode, LinearPass::Prompt), LinearPass::Prompt, {T - 1}, logits, nullptr, all_hidden);
}

void Model::decode(int32_t token, int64_t pos, LatentCache& cache, float* logits, AttnMode mode) const {
  run({{token, pos, &cache, true}}, attn_impl(mode, LinearPass::Decode), LinearPass::Decode, {0}, logits);
}

void Model::forward_rows(const std::vector<Row>& rows, float* logits, float* hidden) const {
  require(!rows.empty(), "forward: no rows");
  std::vector<int64_t> out;
  for (size_t i = 0; i < rows.size(); ++i)
    if (rows[i].want_logits) out.push_back(int64_t(i));
  run(rows, AttnImpl::Absorb, LinearPass::Decode, out, logits, hidden);
}

void Model::block(const BlockWeights& L, int64_t layer, AttnImpl impl, const MLARows& rows, float* h) const {
  const ModelConfig& c = cfg_;
  const int64_t D = c.dim, N = rows.n;
  const float eps = float(c.rms_norm_eps);
  std::vector<float> x(size_t(N * D)), y(size_t(N * D));  // (N, dim)
  for (int64_t t = 0; t < N; ++t) ops::rmsnorm(&h[t * D], L.attn_norm.data(), eps, D, &x[size_t(t * D)]);
  if (c.attn == AttnKind::GQA) gqa_forward(c, rope_, layer, L.gqa, x.data(), rows, y.data());
  else mla_forward(c, rope_, layer, L.attn, impl, x.data(), rows, y.data());
  for (int64_t j = 0; j < N * D; ++j) h[j] += y[size_t(j)];  // x = x + attn(attn_norm(x))
  for (int64_t t = 0; t < N; ++t) ops::rmsnorm(&h[t * D], L.ffn_norm.data(), eps, D, &x[size_t(t * D)]);
  if (L.is_moe) moe_forward(c, L.moe, x.data(), N, y.data(), rows.pass);
  else mlp_forward(L.mlp, x.data(), N, y.data(), rows.pass);
  for (int64_t j = 0; j < N * D; ++j) h[j] += y[size_t(j)];  // x = x + ffn(ffn_norm(x))
}

void Model::mtp_forward(const std::vector<MTPRow>& rows, float* logits) const {
  require(has_mtp(), dir_ + ": the checkpoint has no MTP module");
  const ModelConfig& c = cfg_;
  const MTPWeights& m = w_.mtp[0];
  const int64_t D = c.dim, N = int64_t(rows.size());
  const float eps = float(c.rms_norm_eps);
  std::vector<int64_t> pos(static_cast<size_t>(N));
  std::vector<LatentCache*> caches(static_cast<size_t>(N));
  std::vector<float> cat(size_t(N * 2 * D)), e(static_cast<size_t>(D)), h(size_t(N * D));  // (N, 2 dim), (N, dim)
  for (int64_t i = 0; i < N; ++i) {
    const MTPRow& r = rows[size_t(i)];
    require(r.next >= 0 && r.next < c.vocab_size, "mtp: token id out of range");
    require(r.cache && r.pos >= 0 && r.pos < r.cache->capacity(), "mtp: position beyond the cache");
    pos[size_t(i)] = r.pos;
    caches[size_t(i)] = r.cache;
    m.embed.dequant_row(r.next, e.data());  // [enorm(emb(next)) | hnorm(h)]
    ops::rmsnorm(e.data(), m.enorm.data(), eps, D, &cat[size_t(i * 2 * D)]);
    ops::rmsnorm(r.h, m.hnorm.data(), eps, D, &cat[size_t(i * 2 * D + D)]);
  }
  // A decode pass, as the main model's rows (forward_rows).
  linear(m.eh_proj, cat.data(), N, h.data(), LinearPass::Decode);
  block(m.block, c.n_layers, AttnImpl::Absorb, MLARows{N, pos.data(), caches.data(), LinearPass::Decode}, h.data());
  for (int64_t i = 0; i < N; ++i) ops::rmsnorm(&h[size_t(i * D)], m.norm.data(), eps, D, &h[size_t(i * D)]);
  linear(m.head, h.data(), N, logits, LinearPass::Decode);
}

void Model::run(const std::vector<Row>& rows, AttnImpl impl, LinearPass pass, const std::vector<int64_t>& out_rows,
                float* logits, float* hidden, float* all_hidden) const {
  const ModelConfig& c = cfg_;
  const int64_t D = c.dim, N = int64_t(rows.size());
  std::vector<int64_t> pos(static_cast<size_t>(N));
  std::vector<LatentCache*> caches(static_cast<size_t>(N));
  for (int64_t i = 0; i < N; ++i) {
    const Row& r = rows[size_t(i)];
    if (r.token < 0 || r.token >= c.vocab_size)
      throw Error("token id " + std::to_string(r.token) + " at position " + std::to_string(r.pos) +
                  " is out of range (vocab_size " + std::to_string(c.vocab_size) + ")");
    require(r.cache && r.cache->width() == c.latent_cache_width(), "forward: cache does not match the model");
    if (r.pos < 0 || r.pos >= r.cache->capacity())
      throw Error("sequence of " + std::to_string(r.pos + 1) + " tokens exceeds the context of " +
                  std::to_string(r.cache->capacity()) + " tokens");
    pos[size_t(i)] = r.pos;
    caches[size_t(i)] = r.cache;
  }
  const MLARows mrows{N, pos.data(), caches.data(), pass};
  std::vector<float> h(size_t(N * D)), x(size_t(N * D));  // (N, dim)
  for (int64_t t = 0; t < N; ++t) w_.embed.dequant_row(rows[size_t(t)].token, &h[size_t(t * D)]);
  const float eps = float(c.rms_norm_eps);
  for (int64_t i = 0; i < c.n_layers; ++i) block(w_.layers[size_t(i)], i, impl, mrows, h.data());
  if (all_hidden)
    for (int64_t t = 0; t < N; ++t) ops::rmsnorm(&h[size_t(t * D)], w_.norm.data(), eps, D, &all_hidden[t * D]);
  const int64_t M = int64_t(out_rows.size());
  if (M == 0) return;
  for (int64_t k = 0; k < M; ++k)
    ops::rmsnorm(&h[size_t(out_rows[size_t(k)] * D)], w_.norm.data(), eps, D, &x[size_t(k * D)]);
  if (hidden) std::copy(x.begin(), x.begin() + M * D, hidden);
  linear(w_.head, x.data(), M, logits, pass);  // (M, vocab_size)
}

}  // namespace r1
