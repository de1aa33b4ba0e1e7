#include "model/mla.h"

#include <cmath>
#include <vector>

#include "kernels/ops.h"

namespace r1 {

namespace {

// Scores (S) of one query head against cached positions 0..S-1, softmaxed in place.
// q_lat (kv_lora) is dotted with the latent, q_pe (rope) with the cached k_pe.
void latent_scores(LatentCache& cache, int64_t layer, int64_t S, int64_t kv_lora, int64_t rope,                    const float* q_lat, const float* q_pe, float scale, float* p) {
  const float* base = cache.row(layer, 0);
  const int64_t wdt = cache.width();
  for (int64_t s = 0; s < S; ++s) {
    const float* r = base + s * wdt;
    p[s] = (ops::dot(q_lat, r, kv_lora) + ops::dot(q_pe, r + kv_lora, rope)) * scale;
  }
  ops::softmax(p, S);
}

}  // namespace

void mla_forward(const MLAContext& ctx, const MLAWeights& w, AttnImpl impl, const float* x, int64_t T,
                 int64_t start_pos, float* y) {
  const ModelConfig& c = ctx.cfg;
  const int64_t H = c.n_heads, nope = c.qk_nope_head_dim, rope = c.qk_rope_head_dim, dv = c.v_head_dim;
  const int64_t qk = c.qk_head_dim(), kvr = c.kv_lora_rank, end = start_pos + T;
  const float scale = float(c.softmax_scale());

  // Queries: (T, H, qk_head_dim), each head [q_nope | q_pe].
  std::vector<float> q(size_t(T * H * qk));
  if (c.q_lora_rank == 0) {
    linear(w.wq, x, T, q.data());
  } else {
    std::vector<float> qa(size_t(T * c.q_lora_rank));  // (T, q_lora_rank)
    linear(w.wq_a, x, T, qa.data());
    for (int64_t t = 0; t < T; ++t)
      ops::rmsnorm(&qa[size_t(t * c.q_lora_rank)], w.q_norm.data(), float(c.rms_norm_eps), c.q_lora_rank,
                   &qa[size_t(t * c.q_lora_rank)]);
    linear(w.wq_b, qa.data(), T, q.data());
  }
  for (int64_t t = 0; t < T; ++t)
    for (int64_t h = 0; h < H; ++h) ctx.rope.apply(&q[size_t((t * H + h) * qk + nope)], start_pos + t);

  // Keys/values: kv (T, kv_lora_rank + rope) = [latent | k_pe]; the cache keeps kv_norm(latent) | rope(k_pe).
  std::vector<float> kv(size_t(T * (kvr + rope)));
  linear(w.wkv_a, x, T, kv.data());
  for (int64_t t = 0; t < T; ++t) {
    float* r = ctx.cache.row(ctx.layer, start_pos + t);
    const float* src = &kv[size_t(t * (kvr + rope))];
    ops::rmsnorm(src, w.kv_norm.data(), float(c.rms_norm_eps), kvr, r);
    for (int64_t i = 0; i < rope; ++i) r[kvr + i] = src[kvr + i];
    ctx.rope.apply(r + kvr, start_pos + t);
  }

  std::vector<float> o(size_t(T * H * dv));  // (T, H, v_head_dim)
  const int64_t wdt = ctx.cache.width();
  const float* cache0 = ctx.cache.row(ctx.layer, 0);
  if (impl == AttnImpl::Naive) {
    // = model.py attn_impl == "naive": kvf (end, H, nope + v) = wkv_b(latent) for every cached position.
    std::vector<float> lat(size_t(end * kvr));
    for (int64_t s = 0; s < end; ++s)
      for (int64_t i = 0; i < kvr; ++i) lat[size_t(s * kvr + i)] = cache0[s * wdt + i];
    std::vector<float> kvf(size_t(end * H * (nope + dv)));
    linear(w.wkv_b, lat.data(), end, kvf.data());
#pragma omp parallel
    {
      std::vector<float> p(static_cast<size_t>(end));
#pragma omp for collapse(2) schedule(static)
      for (int64_t t = 0; t < T; ++t)
        for (int64_t h = 0; h < H; ++h) {
          const float* qh = &q[size_t((t * H + h) * qk)];
          const int64_t S = start_pos + t + 1;  // causal
          for (int64_t s = 0; s < S; ++s) {
            const float* kh = &kvf[size_t((s * H + h) * (nope + dv))];
            const float* kpe = cache0 + s * wdt + kvr;
            p[size_t(s)] = (ops::dot(qh, kh, nope) + ops::dot(qh + nope, kpe, rope)) * scale;
          }
          ops::softmax(p.data(), S);
          float* oh = &o[size_t((t * H + h) * dv)];
          for (int64_t d = 0; d < dv; ++d) oh[d] = 0.0f;
          for (int64_t s = 0; s < S; ++s) ops::axpy(p[size_t(s)], &kvf[size_t((s * H + h) * (nope + dv) + nope)], dv, oh);
        }
    }
  } else {
    // = model.py attn_impl == "absorb". wkv_b viewed (H, nope + v, kv_lora_rank).
    // q_lat[t,h] (kv_lora) = sum_d q_nope[t,h,d] * wkv_b[h, d, :]
    std::vector<float> q_lat(size_t(T * H * kvr), 0.0f);
    std::vector<float> ctxv(size_t(T * H * kvr), 0.0f);  // (T, H, kv_lora): attention-weighted latent
#pragma omp parallel
    {
      std::vector<float> row(static_cast<size_t>(kvr)), p(static_cast<size_t>(end));
#pragma omp for schedule(static)
      for (int64_t h = 0; h < H; ++h) {
        for (int64_t d = 0; d < nope; ++d) {
          w.wkv_b.dequant_row(h * (nope + dv) + d, row.data());
          for (int64_t t = 0; t < T; ++t)
            ops::axpy(q[size_t((t * H + h) * qk + d)], row.data(), kvr, &q_lat[size_t((t * H + h) * kvr)]);
        }
        for (int64_t t = 0; t < T; ++t) {
          const int64_t S = start_pos + t + 1;
          latent_scores(ctx.cache, ctx.layer, S, kvr, rope, &q_lat[size_t((t * H + h) * kvr)],
                        &q[size_t((t * H + h) * qk + nope)], scale, p.data());
          float* ch = &ctxv[size_t((t * H + h) * kvr)];
          for (int64_t s = 0; s < S; ++s) ops::axpy(p[size_t(s)], cache0 + s * wdt, kvr, ch);
        }
        // o[t,h,d] = wkv_b[h, nope + d, :] . ctx[t,h]
        for (int64_t d = 0; d < dv; ++d) {
          w.wkv_b.dequant_row(h * (nope + dv) + nope + d, row.data());
          for (int64_t t = 0; t < T; ++t)
            o[size_t((t * H + h) * dv + d)] = ops::dot(row.data(), &ctxv[size_t((t * H + h) * kvr)], kvr);
        }
      }
    }
  }
  linear(w.wo, o.data(), T, y);  // (T, dim)
}

}  // namespace r1
