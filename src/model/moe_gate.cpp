#include "model/moe_gate.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "kernels/ops.h"

namespace r1 {

void moe_route(const ModelConfig& c, const float* logits, const float* bias, int32_t* idx, float* weight) {
  const int64_t E = c.n_routed_experts, K = c.n_activated_experts;
  std::vector<float> s(logits, logits + E);  // scores
  if (c.score_func == ScoreFunc::Softmax) {
    ops::softmax(s.data(), E);
  } else {
    for (auto& v : s) v = 1.0f / (1.0f + std::exp(-v));
  }
  std::vector<float> choice(s);
  if (bias)
    for (int64_t e = 0; e < E; ++e) choice[size_t(e)] += bias[e];

  // Stable descending order by value, ties -> lower index.
  auto top = [](const std::vector<float>& v, int64_t k) {
    std::vector<int32_t> order(v.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) { return v[size_t(a)] > v[size_t(b)]; });
    order.resize(static_cast<size_t>(k));
    return order;
  };

  const int64_t G = c.n_expert_groups;
  if (G > 1) {
    const int64_t per = E / G;
    std::vector<float> group_score(static_cast<size_t>(G));
    for (int64_t g = 0; g < G; ++g) {
      std::vector<float> m(choice.begin() + g * per, choice.begin() + (g + 1) * per);
      std::sort(m.begin(), m.end(), std::greater<float>());
      group_score[size_t(g)] = bias ? m[0] + m[1] : m[0];
    }
    std::vector<bool> keep(size_t(G), false);
    for (int32_t g : top(group_score, c.n_limited_groups)) keep[size_t(g)] = true;
    for (int64_t e = 0; e < E; ++e)
      if (!keep[size_t(e / per)]) choice[size_t(e)] = -INFINITY;
  }
  const std::vector<int32_t> chosen = top(choice, K);
  float sum = 0.0f;
  for (int64_t k = 0; k < K; ++k) {
    idx[k] = chosen[size_t(k)];
    weight[k] = s[size_t(chosen[size_t(k)])];
    sum += weight[k];
  }
  for (int64_t k = 0; k < K; ++k) {
    if (c.norm_topk_prob) weight[k] /= sum;
    weight[k] *= float(c.route_scale);
  }
}

}  // namespace r1
