#include "autograd/loss.h"

#include <cmath>
#include <string>
#include <vector>

#include "autograd/prof.h"
#include "kernels/vexp.h"
#include "core/error.h"

namespace r1::ag {

namespace {
int64_t count_targets(const int32_t* targets, int64_t N, int64_t V, int32_t ignore_index) {
  int64_t n = 0;
  for (int64_t i = 0; i < N; ++i) {
    if (targets[i] == ignore_index) continue;
    if (targets[i] < 0 || targets[i] >= V)
      throw Error("cross_entropy: target " + std::to_string(targets[i]) + " at row " + std::to_string(i) +
                  " is out of range (vocab_size " + std::to_string(V) + ")");
    ++n;
  }
  return n;
}
}  // namespace

template <class T>
T cross_entropy_forward(T* probs, const T* logits, const int32_t* targets, int64_t N, int64_t V, int32_t ignore_index) {
  const prof::Scope ps("ce fwd");
  const int64_t count = count_targets(targets, N, V, ignore_index);
  double total = 0.0;
  for (int64_t n = 0; n < N; ++n) {
    const T* l = logits + n * V;
    T* p = probs + n * V;
    T m = l[0];
    for (int64_t v = 1; v < V; ++v) m = l[v] > m ? l[v] : m;
    for (int64_t v = 0; v < V; ++v) p[v] = vexp(l[v] - m);  // vectorized
    double sum = 0.0;
    for (int64_t v = 0; v < V; ++v) sum += double(p[v]);
    const T inv = T(1.0 / sum);
    for (int64_t v = 0; v < V; ++v) p[v] *= inv;
    // -log softmax = log(sum) - (l - m), computed from the logits so it stays finite for tiny probabilities.
    if (targets[n] != ignore_index) total += std::log(sum) - double(l[targets[n]] - m);
  }
  return count == 0 ? T(0) : T(total / double(count));
}

template <class T>
void cross_entropy_backward(T* dlogits, const T* probs, const int32_t* targets, int64_t N, int64_t V, T dloss,
                            int32_t ignore_index) {
  const prof::Scope ps("ce bwd");
  const int64_t count = count_targets(targets, N, V, ignore_index);
  if (count == 0) return;
  const T s = dloss / T(count);
  for (int64_t n = 0; n < N; ++n) {
    if (targets[n] == ignore_index) continue;
    const T* p = probs + n * V;
    T* d = dlogits + n * V;
    for (int64_t v = 0; v < V; ++v) d[v] += s * p[v];
    d[targets[n]] -= s;
  }
}

template <class T>
void target_logprobs(T* logp, const T* logits, const int32_t* targets, int64_t N, int64_t V, int32_t ignore_index) {
  count_targets(targets, N, V, ignore_index);  // range check
  for (int64_t n = 0; n < N; ++n) {
    if (targets[n] == ignore_index) {
      logp[n] = T(0);
      continue;
    }
    const T* l = logits + n * V;
    T m = l[0];
    for (int64_t v = 1; v < V; ++v) m = l[v] > m ? l[v] : m;
    double sum = 0.0;
    for (int64_t v = 0; v < V; ++v) sum += std::exp(double(l[v] - m));
    logp[n] = T(double(l[targets[n]] - m) - std::log(sum));
  }
}

template <class T>
T weighted_cross_entropy(const T* logits, const int32_t* targets, const T* w, int64_t N, int64_t V, int32_t ignore_index) {
  std::vector<T> logp(static_cast<size_t>(N));
  target_logprobs(logp.data(), logits, targets, N, V, ignore_index);
  double total = 0.0;
  for (int64_t n = 0; n < N; ++n)
    if (targets[n] != ignore_index) total -= double(w[n]) * double(logp[size_t(n)]);
  return T(total);
}

template <class T>
void weighted_cross_entropy_backward(T* dlogits, const T* probs, const int32_t* targets, const T* w, int64_t N,
                                     int64_t V, int32_t ignore_index) {
  count_targets(targets, N, V, ignore_index);
  for (int64_t n = 0; n < N; ++n) {
    if (targets[n] == ignore_index || w[n] == T(0)) continue;
    const T* p = probs + n * V;
    T* d = dlogits + n * V;
    for (int64_t v = 0; v < V; ++v) d[v] += w[n] * p[v];
    d[targets[n]] -= w[n];
  }
}

#define R1_INSTANTIATE(T)                                                                                         \
  template T cross_entropy_forward<T>(T*, const T*, const int32_t*, int64_t, int64_t, int32_t);                  \
  template void cross_entropy_backward<T>(T*, const T*, const int32_t*, int64_t, int64_t, T, int32_t);           \
  template void target_logprobs<T>(T*, const T*, const int32_t*, int64_t, int64_t, int32_t);                     \
  template T weighted_cross_entropy<T>(const T*, const int32_t*, const T*, int64_t, int64_t, int32_t);           \
  template void weighted_cross_entropy_backward<T>(T*, const T*, const int32_t*, const T*, int64_t, int64_t, int32_t);
R1_INSTANTIATE(float)
R1_INSTANTIATE(double)
#undef R1_INSTANTIATE

}  // namespace r1::ag
