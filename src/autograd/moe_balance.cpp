#include "autograd/moe_balance.h"

#include <algorithm>
#include <vector>

#include "core/error.h"

namespace r1::ag {

namespace {

// f_i of sequence b: N_r / (K_r S) * (number of its tokens that chose expert i), i < E.
std::vector<double> expert_fraction(const ModelConfig& c, const int32_t* idx, int64_t b, int64_t S) {
  const int64_t E = c.n_routed_experts, K = c.n_activated_experts;
  std::vector<double> f(static_cast<size_t>(E), 0.0);
  for (int64_t i = b * S * K; i < (b + 1) * S * K; ++i) f[size_t(idx[i])] += 1.0;
  for (double& v : f) v *= double(E) / double(K * S);
  return f;
}

}  // namespace

template <class T>
double seq_balance_forward(const ModelConfig& c, const T* scores, const int32_t* idx, int64_t B, int64_t S) {
  require(B > 0 && S > 0, "seq_balance: empty batch");
  const int64_t E = c.n_routed_experts;
  double total = 0.0;
  std::vector<double> P(static_cast<size_t>(E));
  for (int64_t b = 0; b < B; ++b) {
    const std::vector<double> f = expert_fraction(c, idx, b, S);
    std::fill(P.begin(), P.end(), 0.0);
    for (int64_t t = b * S; t < (b + 1) * S; ++t) {  // P_i = 1/T sum_t s_{i,t} / sum_j s_{j,t}
      const T* s = scores + t * E;
      double Z = 0.0;
      for (int64_t e = 0; e < E; ++e) Z += double(s[e]);
      for (int64_t e = 0; e < E; ++e) P[size_t(e)] += double(s[e]) / Z;
    }
    for (int64_t e = 0; e < E; ++e) total += f[size_t(e)] * P[size_t(e)] / double(S);
  }
  return total / double(B);
}

template <class T>
void seq_balance_backward(const ModelConfig& c, T* dscores, const T* scores, const int32_t* idx, int64_t B,
                          int64_t S, double weight) {
  const int64_t E = c.n_routed_experts;
  std::vector<double> g(static_cast<size_t>(E));
  for (int64_t b = 0; b < B; ++b) {
    // dL/ds'_{i,t} = g_i = weight / B * f_i / T; through s' = s / Z: ds_j = (g_j - sum_i g_i s'_i) / Z.
    const std::vector<double> f = expert_fraction(c, idx, b, S);
    for (int64_t e = 0; e < E; ++e) g[size_t(e)] = weight / double(B) * f[size_t(e)] / double(S);
    for (int64_t t = b * S; t < (b + 1) * S; ++t) {
      const T* s = scores + t * E;
      double Z = 0.0, dot = 0.0;
      for (int64_t e = 0; e < E; ++e) Z += double(s[e]), dot += g[size_t(e)] * double(s[e]);
      dot /= Z;
      for (int64_t e = 0; e < E; ++e) dscores[t * E + e] += T((g[size_t(e)] - dot) / Z);
    }
  }
}

#define R1_INSTANTIATE(T)                                                                                       \
  template double seq_balance_forward<T>(const ModelConfig&, const T*, const int32_t*, int64_t, int64_t);       \
  template void seq_balance_backward<T>(const ModelConfig&, T*, const T*, const int32_t*, int64_t, int64_t,     \
                                        double);
R1_INSTANTIATE(float)
R1_INSTANTIATE(double)
#undef R1_INSTANTIATE

}  // namespace r1::ag
