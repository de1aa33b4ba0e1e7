#include "model/gqa.h"

#include <algorithm>
#include <vector>

#include "kernels/cpu/cache_row_ops.h"
#include "kernels/ops.h"

namespace r1 {

namespace {

// y (N, n) = x @ W^T + b (b empty: no bias).
void project(const Weight& w, const std::vector<float>& b, const float* x, int64_t N, LinearPass pass, float* y) {
  linear(w, x, N, y, pass);
  if (b.empty()) return;
  for (int64_t t = 0; t < N; ++t) ops::axpy(1.0f, b.data(), w.rows, y + t * w.rows);
}

}  // namespace

void gqa_forward(const ModelConfig& c, const Rope& rope, int64_t layer, const GQAWeights& w, const float* x,
                 const MLARows& rows, float* y) {
  const int64_t N = rows.n, H = c.n_heads, KV = c.n_kv_heads, hd = c.head_dim, group = H / KV;
  const int64_t kvw = KV * hd;  // floats of k (and of v) per position
  std::vector<float> q(size_t(N * H * hd)), k(size_t(N * kvw)), v(size_t(N * kvw));  // (N, H|KV, head_dim)
  project(w.wq, w.bq, x, N, rows.pass, q.data());
  for (int64_t t = 0; t < N; ++t) rope.apply(&q[size_t(t * H * hd)], rows.pos[t], H, hd);
  project(w.wk, w.bk, x, N, rows.pass, k.data());
  project(w.wv, w.bv, x, N, rows.pass, v.data());
  std::vector<float> r(size_t(2 * kvw));  // a cache row [rope(k) | v]
  for (int64_t t = 0; t < N; ++t) {
    std::copy_n(&k[size_t(t * kvw)], kvw, r.begin());
    rope.apply(r.data(), rows.pos[t], KV, hd);
    std::copy_n(&v[size_t(t * kvw)], kvw, r.begin() + kvw);
    rows.cache[t]->store(layer, rows.pos[t], r.data());  // rounded to the cache's storage type
  }
  std::vector<std::vector<const uint8_t*>> cached(static_cast<size_t>(N));  // (N, pos + 1) rows [k | v]
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
        const CacheRowFormat& f = rows.cache[t]->format();
        const float* qh = &q[size_t((t * H + h) * hd)];
        p.resize(size_t(S));
        for (int64_t s = 0; s < S; ++s) p[size_t(s)] = cpu::cache_dot(f, cr[size_t(s)], g * hd, hd, qh) * scale;
        ops::softmax(p.data(), S);
        float* oh = &o[size_t((t * H + h) * hd)];
        for (int64_t s = 0; s < S; ++s) cpu::cache_axpy(f, p[size_t(s)], cr[size_t(s)], kvw + g * hd, hd, oh);
      }
  }
  linear(w.wo, o.data(), N, y, rows.pass);  // (N, dim)
}

}  // namespace r1
