#include "autograd/moe.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <numeric>
#include <optional>

#include "autograd/linear.h"
#include "autograd/prof.h"
#include "core/error.h"

namespace r1::ag {

namespace {

// Indices of the k largest values, best first; ties go to the lower index (as model/moe_gate).
template <class T>
std::vector<int32_t> top_k(const std::vector<T>& v, int64_t k) {
  std::vector<int32_t> order(v.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) { return v[size_t(a)] > v[size_t(b)]; });
  order.resize(static_cast<size_t>(k));
  return order;
}

void check_routing(const ModelConfig& c) {
  const int64_t E = c.n_routed_experts, K = c.n_activated_experts, G = c.n_expert_groups;
  require(E > 0 && K > 0 && K <= E, "moe: need 0 < n_activated_experts <= n_routed_experts");
  require(G >= 1 && E % G == 0, "moe: n_routed_experts must be divisible by n_group");
  require(c.n_limited_groups >= 1 && c.n_limited_groups <= G, "moe: topk_group must be in [1, n_group]");
  require(K <= c.n_limited_groups * (E / G), "moe: n_activated_experts exceeds the experts of the kept groups");
}

}  // namespace

template <class T>
void moe_gate_forward(const ModelConfig& c, const T* logits, const T* bias, int64_t N, T* scores, int32_t* idx,
                      T* weight) {
  check_routing(c);
  const int64_t E = c.n_routed_experts, K = c.n_activated_experts, G = c.n_expert_groups;
  std::vector<T> choice(static_cast<size_t>(E));
  for (int64_t n = 0; n < N; ++n) {
    const T* l = logits + n * E;
    T* s = scores + n * E;
    if (c.score_func == ScoreFunc::Softmax) {
      T m = l[0];
      for (int64_t e = 1; e < E; ++e) m = l[e] > m ? l[e] : m;
      double sum = 0.0;
      for (int64_t e = 0; e < E; ++e) {
        s[e] = std::exp(l[e] - m);
        sum += double(s[e]);
      }
      const T inv = T(1.0 / sum);
      for (int64_t e = 0; e < E; ++e) s[e] *= inv;
    } else {
      for (int64_t e = 0; e < E; ++e) s[e] = T(1) / (T(1) + std::exp(-l[e]));
    }
    for (int64_t e = 0; e < E; ++e) choice[size_t(e)] = bias ? s[e] + bias[e] : s[e];
    if (G > 1) {
      const int64_t per = E / G;
      std::vector<T> group_score(static_cast<size_t>(G));
      for (int64_t g = 0; g < G; ++g) {
        std::vector<T> m(choice.begin() + g * per, choice.begin() + (g + 1) * per);
        std::sort(m.begin(), m.end(), std::greater<T>());
        group_score[size_t(g)] = bias ? m[0] + (per > 1 ? m[1] : T(0)) : m[0];
      }
      std::vector<bool> keep(size_t(G), false);
      for (int32_t g : top_k(group_score, c.n_limited_groups)) keep[size_t(g)] = true;
      for (int64_t e = 0; e < E; ++e)
        if (!keep[size_t(e / per)]) choice[size_t(e)] = -INFINITY;
    }
    const std::vector<int32_t> chosen = top_k(choice, K);
    T sum = 0;
    for (int64_t k = 0; k < K; ++k) {
      idx[n * K + k] = chosen[size_t(k)];
      weight[n * K + k] = s[chosen[size_t(k)]];
      sum += weight[n * K + k];
    }
    for (int64_t k = 0; k < K; ++k) {
      if (c.norm_topk_prob) weight[n * K + k] /= sum;
      weight[n * K + k] *= T(c.route_scale);
    }
  }
}

template <class T>
void moe_gate_backward(const ModelConfig& c, T* dlogits, const T* dweight, const T* scores, const int32_t* idx,
                       int64_t N, const T* dscores) {
  const int64_t E = c.n_routed_experts, K = c.n_activated_experts;
  const T rs = T(c.route_scale);
  std::vector<T> ds(static_cast<size_t>(E));
  for (int64_t n = 0; n < N; ++n) {
    const T* s = scores + n * E;
    const int32_t* ix = idx + n * K;
    const T* dw = dweight + n * K;
    if (dscores) std::copy(dscores + n * E, dscores + (n + 1) * E, ds.begin());
    else std::fill(ds.begin(), ds.end(), T(0));
    if (c.norm_topk_prob) {  // w_k = rs * s_k / Z, Z = sum_j s_j  ->  ds_k = rs / Z * (dw_k - sum_j dw_j s_j / Z)
      T Z = 0, dot = 0;
      for (int64_t k = 0; k < K; ++k) {
        Z += s[ix[k]];
        dot += dw[k] * s[ix[k]];
      }
      for (int64_t k = 0; k < K; ++k) ds[size_t(ix[k])] += rs / Z * (dw[k] - dot / Z);
    } else {
      for (int64_t k = 0; k < K; ++k) ds[size_t(ix[k])] += rs * dw[k];
    }
    T* dl = dlogits + n * E;
    if (c.score_func == ScoreFunc::Softmax) {
      T dot = 0;
      for (int64_t e = 0; e < E; ++e) dot += s[e] * ds[size_t(e)];
      for (int64_t e = 0; e < E; ++e) dl[e] += s[e] * (ds[size_t(e)] - dot);
    } else {
      for (int64_t e = 0; e < E; ++e) dl[e] += ds[size_t(e)] * s[e] * (T(1) - s[e]);
    }
  }
}

template <class T>
void moe_forward(const ModelConfig& c, const MoEParams<T>& p, MoEActs<T>& a, const T* x, int64_t N, T* out) {
  const prof::Scope ps("moe fwd");
  const int64_t E = c.n_routed_experts, K = c.n_activated_experts, D = c.dim;
  require(p.gate && int64_t(p.experts.size()) == E, "moe: gate or experts not bound");
  require((p.bias != nullptr) == (c.topk_method == TopkMethod::NoauxTc),
          "moe: e_score_correction_bias must be bound exactly when topk_method is noaux_tc");
  a.logits.resize(size_t(N * E));
  a.scores.resize(size_t(N * E));
  a.idx.resize(size_t(N * K));
  a.weight.resize(size_t(N * K));
  linear_forward(a.logits.data(), x, p.gate, (const T*)nullptr, N, D, E);
  moe_gate_forward(c, a.logits.data(), (const T*)p.bias, N, a.scores.data(), a.idx.data(), a.weight.data());

  // Shared experts first, so out accumulates in the same order as inference (model/ffn.cpp).
  if (p.shared.w1) {
    mlp_forward(p.shared, a.shared, x, N, D, out);
  } else {
    std::fill(out, out + N * D, T(0));
  }
  a.slots.assign(size_t(E), {});
  a.slot_row.resize(size_t(N * K));
  for (int64_t i = 0; i < N * K; ++i) {
    auto& sl = a.slots[size_t(a.idx[size_t(i)])];
    a.slot_row[size_t(i)] = int64_t(sl.size());
    sl.push_back(i);
  }
  const prof::Scope pe("moe experts fwd");
  a.xs.resize(static_cast<size_t>(E));
  a.ys.resize(static_cast<size_t>(E));
  a.expert.resize(static_cast<size_t>(E));
  for (int64_t e = 0; e < E; ++e) {
    const auto& sl = a.slots[size_t(e)];
    const int64_t n = int64_t(sl.size());
    a.xs[size_t(e)].resize(size_t(n * D));  // (n_e, dim)
    a.ys[size_t(e)].resize(size_t(n * D));  // (n_e, dim)
    if (n == 0) continue;
    for (int64_t r = 0; r < n; ++r)  // gather
      std::copy(x + (sl[size_t(r)] / K) * D, x + (sl[size_t(r)] / K + 1) * D, &a.xs[size_t(e)][size_t(r * D)]);
    mlp_forward(p.experts[size_t(e)], a.expert[size_t(e)], a.xs[size_t(e)].data(), n, D, a.ys[size_t(e)].data());
  }
  for (int64_t t = 0; t < N; ++t)  // weighted scatter-add, in rank order k = 0..K-1
    for (int64_t k = 0; k < K; ++k) {
      const int64_t i = t * K + k;
      const T w = a.weight[size_t(i)];
      const T* y = &a.ys[size_t(a.idx[size_t(i)])][size_t(a.slot_row[size_t(i)] * D)];
      for (int64_t d = 0; d < D; ++d) out[t * D + d] += w * y[d];
    }
}

template <class T>
void moe_backward(const ModelConfig& c, const MoEParams<T>& p, const MoEParams<T>& g, const MoEActs<T>& a, const T* x,
                  int64_t N, const T* dout, T* dx, const T* dscores) {
  const prof::Scope ps("moe bwd");
  const int64_t E = c.n_routed_experts, K = c.n_activated_experts, D = c.dim;
  if (p.shared.w1) {
    const prof::Scope pss("moe shared bwd");
    mlp_backward(p.shared, g.shared, a.shared, x, N, D, dout, dx);
  }
  std::optional<prof::Scope> pe;
  pe.emplace("moe experts bwd");
  std::vector<T> dweight(size_t(N * K), T(0));  // (N, n_activated_experts)
  std::vector<T> dys, dxs;
  for (int64_t e = 0; e < E; ++e) {
    const auto& sl = a.slots[size_t(e)];
    const int64_t n = int64_t(sl.size());
    if (n == 0) continue;
    const std::vector<T>& ys = a.ys[size_t(e)];
    dys.assign(size_t(n * D), T(0));  // (n_e, dim)
    for (int64_t r = 0; r < n; ++r) {
      const int64_t i = sl[size_t(r)], t = i / K;
      const T w = a.weight[size_t(i)];
      T dw = 0;
      for (int64_t d = 0; d < D; ++d) {
        dys[size_t(r * D + d)] = w * dout[t * D + d];
        dw += dout[t * D + d] * ys[size_t(r * D + d)];
      }
      dweight[size_t(i)] = dw;
    }
    dxs.assign(size_t(n * D), T(0));  // (n_e, dim)
    mlp_backward(p.experts[size_t(e)], g.experts[size_t(e)], a.expert[size_t(e)], a.xs[size_t(e)].data(), n, D,
                 dys.data(), dx ? dxs.data() : (T*)nullptr);
    if (dx)
      for (int64_t r = 0; r < n; ++r) {  // scatter-add back to the tokens
        const int64_t t = sl[size_t(r)] / K;
        for (int64_t d = 0; d < D; ++d) dx[t * D + d] += dxs[size_t(r * D + d)];
      }
  }
  pe.reset();
  std::vector<T> dlogits(size_t(N * E), T(0));  // (N, n_routed_experts)
  moe_gate_backward(c, dlogits.data(), dweight.data(), a.scores.data(), a.idx.data(), N, dscores);
  linear_backward(dx, g.gate, (T*)nullptr, dlogits.data(), x, p.gate, N, D, E);
}

#define R1_INSTANTIATE(T)                                                                                          \
  template void moe_gate_forward<T>(const ModelConfig&, const T*, const T*, int64_t, T*, int32_t*, T*);            \
  template void moe_gate_backward<T>(const ModelConfig&, T*, const T*, const T*, const int32_t*, int64_t,        \
                                     const T*);                                                                   \
  template void moe_forward<T>(const ModelConfig&, const MoEParams<T>&, MoEActs<T>&, const T*, int64_t, T*);       \
  template void moe_backward<T>(const ModelConfig&, const MoEParams<T>&, const MoEParams<T>&, const MoEActs<T>&,   \
                                const T*, int64_t, const T*, T*, const T*);
R1_INSTANTIATE(float)
R1_INSTANTIATE(double)
#undef R1_INSTANTIATE

}  // namespace r1::ag
