#include "model/ffn.h"

#include <vector>

#include "kernels/ops.h"
#include "model/moe_gate.h"

namespace r1 {

void mlp_forward(const MLPWeights& w, const float* x, int64_t T, float* y, LinearPass pass) {
  const int64_t I = w.w1.rows;
  std::vector<float> a(size_t(T * I)), b(size_t(T * I));  // (T, inter)
  linear(w.w1, x, T, a.data(), pass);
  linear(w.w3, x, T, b.data(), pass);
  ops::swiglu(a.data(), b.data(), T * I, a.data());
  linear(w.w2, a.data(), T, y, pass);
}

void moe_forward(const ModelConfig& c, const MoEWeights& w, const float* x, int64_t T, float* y, LinearPass pass) {
  const int64_t E = c.n_routed_experts, K = c.n_activated_experts, D = c.dim;
  std::vector<float> logits(size_t(T * E));  // (T, n_routed_experts)
  linear(w.gate, x, T, logits.data(), pass);
  std::vector<int32_t> idx(size_t(T * K));
  std::vector<float> wt(size_t(T * K));
  for (int64_t t = 0; t < T; ++t)
    moe_route(c, &logits[size_t(t * E)], w.bias.empty() ? nullptr : w.bias.data(), &idx[size_t(t * K)],
              &wt[size_t(t * K)]);

  // Shared experts first, so y accumulates in a fixed order.
  if (!w.shared_experts.w1.empty()) {
    mlp_forward(w.shared_experts, x, T, y, pass);
  } else {
    for (int64_t i = 0; i < T * D; ++i) y[i] = 0.0f;
  }
  // Tokens per expert, in token order.
  std::vector<std::vector<int64_t>> slots(static_cast<size_t>(E));  // slot = t * K + k
  for (int64_t i = 0; i < T * K; ++i) slots[size_t(idx[size_t(i)])].push_back(i);
  std::vector<float> routed(size_t(T * K * D), 0.0f);  // (T, K, dim) per-slot expert outputs
  std::vector<int64_t> chosen;
  for (int64_t e = 0; e < E; ++e)
    if (!slots[size_t(e)].empty()) chosen.push_back(e);
  // The chosen experts are shared out between the threads whole (each expert's matmuls then run on one thread:
  // OpenMP does not nest), so a layer has one barrier instead of three per expert, and the serial gather and
  // scatter run in parallel too. Each expert writes only its own slots; the result does not depend on threads.
#pragma omp parallel if (int64_t(chosen.size()) > 1)
  {
    std::vector<float> xs, ys;
#pragma omp for schedule(dynamic, 1)
    for (size_t i = 0; i < chosen.size(); ++i) {
      const int64_t e = chosen[i];
      const auto& sl = slots[size_t(e)];
      const int64_t n = int64_t(sl.size());
      xs.resize(size_t(n * D));
      ys.resize(size_t(n * D));
      for (int64_t r = 0; r < n; ++r)
        for (int64_t d = 0; d < D; ++d) xs[size_t(r * D + d)] = x[(sl[size_t(r)] / K) * D + d];  // gather
      mlp_forward(w.experts[size_t(e)], xs.data(), n, ys.data(), pass);
      for (int64_t r = 0; r < n; ++r)
        for (int64_t d = 0; d < D; ++d) routed[size_t(sl[size_t(r)] * D + d)] = ys[size_t(r * D + d)];  // scatter
    }
  }
  // y += sum_k w_k * expert_k(x), in rank order k = 0..K-1.
  for (int64_t t = 0; t < T; ++t)
    for (int64_t k = 0; k < K; ++k) ops::axpy(wt[size_t(t * K + k)], &routed[size_t((t * K + k) * D)], D, y + t * D);
}

}  // namespace r1
