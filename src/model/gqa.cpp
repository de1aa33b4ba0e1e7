#include "model/gqa.h"

#include <vector>

#include "kernels/cpu/dot.h"
#include "kernels/ops.h"

namespace r1 {

namespace {

// y (N, n) = x @ W^T + b (b empty: no bias).
void project(const Weight& w, const std::vector<float>& b, const float* x, int64_t N, float* y) {
  linear(w, x, N, y);
  if (b.empty()) return;
  for (int64_t t = 0; t < N; ++t) ops::axpy(1.0f, b.data(), w.rows, y + t * w.rows);
}

}  // namespace

void gqa_forward(const ModelConfig& c, const Rope& rope, int64_t layer, const GQAWeights& w, const float* x,
                 const MLARows& rows, float* y) {
  const int64_t N = rows.n, H = c.n_heads, KV = c.n_kv_heads, hd = c.head_dim, group = H / KV;
  const int64_t kvw = KV * hd;  // floats of k (and of v) per position
  std::vector<float> q(size_t(N * H * hd)), kv(size_t(N * kvw));  // (N, H, head_dim), (N, KV, head_dim)
  project(w.wq, w.bq, x, N, q.data());
  for (int64_t t = 0; t < N; ++t) rope.apply(&q[size_t(t * H * hd)], rows.pos[t], H, hd);
  project(w.wk, w.bk, x, N, kv.data());
  for (int64_t t = 0; t < N; ++t) {
    float* r = rows.cache[t]->row(layer, rows.pos[t]);  // [k | v]
    for (int64_t i = 0; i < kvw; ++i) r[i] = kv[size_t(t * kvw + i)];
    rope.apply(r, rows.pos[t], KV, hd);
  }
  project(w.wv, w.bv, x, N, kv.data());
  for (int64_t t = 0; t < N; ++t) {
    float* r = rows.cache[t]->row(layer, rows.pos[t]) + kvw;
    for (int64_t i = 0; i < kvw; ++i) r[i] = kv[size_t(t * kvw + i)];
  }
  std::vector<std::vector<const float*>> cached(static_cast<size_t>(N));  // (N, pos + 1) rows [k | v]
  for (int64_t t = 0; t < N; ++t) cached[size_t(t)] = cached_rows(*rows.cache[t], layer, rows.pos[t] + 1);
  const float scale = float(c.softmax_scale());
  std::vector<float> o(size_t(N * H * hd), 0.0f);  // (N, H, head_dim)
  int64_t work = 0;
  for (int64_t t = 0; t < N; ++t) work += (rows.pos[t] + 1) * H * hd;
#pragma omp parallel if (work >= (int64_t(1) << 16))
  {
    std::vector<float> p;
#pragma omp for collapse(2) schedule(static, 1)  // round-robin: causal rows grow with t
    for (int64_t t = 0; t < N; ++t)
      for (int64_t h = 0; h < H; ++h) {
        const int64_t S = rows.pos[t] + 1, g = h / group;
        const auto& cr = cached[size_t(t)];
        const float* qh = &q[size_t((t * H + h) * hd)];
        p.resize(size_t(S));
        for (int64_t s = 0; s < S; ++s) p[size_t(s)] = cpu::dot_f32(qh, cr[size_t(s)] + g * hd, hd) * scale;
        ops::softmax(p.data(), S);
        float* oh = &o[size_t((t * H + h) * hd)];
        for (int64_t s = 0; s < S; ++s) ops::axpy(p[size_t(s)], cr[size_t(s)] + kvw + g * hd, hd, oh);
      }
  }
  linear(w.wo, o.data(), N, y);  // (N, dim)
}

}  // namespace r1
