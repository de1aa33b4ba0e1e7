#include "runtime/sampler.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "core/error.h"
#include "kernels/ops.h"

namespace r1 {

int32_t argmax(const float* x, int64_t n) {
  int64_t best = 0;
  for (int64_t i = 1; i < n; ++i)
    if (x[i] > x[best]) best = i;
  return int32_t(best);
}

Sampler::Sampler(const SamplerParams& p) : p_(p), rng_(p.seed) {
  require(p.temperature >= 0.0f && std::isfinite(p.temperature), "temperature must be >= 0");
  require(p.top_k >= 0, "top-k must be >= 0");
  require(p.top_p > 0.0f && p.top_p <= 1.0f, "top-p must be in (0, 1]");
}

// Without top-k or top-p every id is kept, in id order (nothing to sort). Otherwise the kept ids come most
// likely first (ties: lower id): top-k is an nth_element plus a sort of k ids, and top-p sorts a growing prefix
// only until it holds top_p of the mass, so a sampled token costs O(vocab), not a sort of the vocabulary.
int64_t Sampler::kept(const float* logits, int64_t n, std::vector<int32_t>& ids, std::vector<double>& prob) const {
  ids.resize(static_cast<size_t>(n));
  std::iota(ids.begin(), ids.end(), 0);
  // Unnormalised probabilities exp((l - max) / T) of every id, eight at a time (kernels/ops.h).
  const float mx = logits[argmax(logits, n)], inv_t = 1.0f / p_.temperature;
  thread_local std::vector<float> e;  // reused: a vocabulary-sized buffer per token would page-fault each time
  e.resize(static_cast<size_t>(n));
  ops::exp_scaled(logits, mx, inv_t, n, e.data());
  auto weight = [&](int32_t id) { return double(e[size_t(id)]); };
  const int64_t keep = p_.top_k > 0 ? std::min(n, p_.top_k) : n;
  if (keep == n && p_.top_p >= 1.0f) {
    prob.assign(e.begin(), e.end());
    return n;
  }
  const auto before = [&](int32_t a, int32_t b) { return logits[a] > logits[b] || (logits[a] == logits[b] && a < b); };
  if (keep < n) std::nth_element(ids.begin(), ids.begin() + keep, ids.end(), before);
  prob.resize(static_cast<size_t>(keep));
  if (p_.top_p >= 1.0f) {
    std::sort(ids.begin(), ids.begin() + keep, before);
    for (int64_t i = 0; i < keep; ++i) prob[size_t(i)] = weight(ids[size_t(i)]);
    return keep;
  }
  double total = 0.0;  // mass of the top-k set (or of everything)
  for (int64_t i = 0; i < keep; ++i) total += weight(ids[size_t(i)]);
  double acc = 0.0;
  int64_t sorted = 0;
  for (int64_t m = std::min<int64_t>(64, keep);; m = std::min(keep, m * 4)) {
    std::partial_sort(ids.begin() + sorted, ids.begin() + m, ids.begin() + keep, before);
    for (; sorted < m; ++sorted) {  // smallest prefix whose probability reaches top_p
      prob[size_t(sorted)] = weight(ids[size_t(sorted)]);
      acc += prob[size_t(sorted)] / total;
      if (acc >= double(p_.top_p)) return sorted + 1;
    }
    if (m == keep) return keep;
  }
}

int32_t Sampler::sample(const float* logits, int64_t n) {
  if (p_.temperature == 0.0f) return argmax(logits, n);
  thread_local std::vector<int32_t> ids;  // reused across tokens (vocabulary-sized)
  thread_local std::vector<double> prob;
  const int64_t keep = kept(logits, n, ids, prob);
  const double sum = std::accumulate(prob.begin(), prob.begin() + keep, 0.0);
  const double u = uniform() * sum;  // [0, sum)
  double acc = 0.0;
  for (int64_t i = 0; i < keep; ++i) {
    acc += prob[size_t(i)];
    if (u < acc) return ids[size_t(i)];
  }
  return ids[size_t(keep - 1)];
}

void Sampler::distribution(const float* logits, int64_t n, std::vector<double>& p) const {
  p.assign(static_cast<size_t>(n), 0.0);
  if (p_.temperature == 0.0f) {
    p[size_t(argmax(logits, n))] = 1.0;
    return;
  }
  std::vector<int32_t> ids;
  std::vector<double> prob;
  const int64_t keep = kept(logits, n, ids, prob);
  const double sum = std::accumulate(prob.begin(), prob.begin() + keep, 0.0);
  for (int64_t i = 0; i < keep; ++i) p[size_t(ids[size_t(i)])] = prob[size_t(i)] / sum;
}

double Sampler::uniform() { return double(rng_.next() >> 11) * (1.0 / 9007199254740992.0); }

int32_t Sampler::draw(const std::vector<double>& w) {
  const double sum = std::accumulate(w.begin(), w.end(), 0.0);
  require(sum > 0.0, "internal: drawing from an empty distribution");
  const double u = uniform() * sum;
  double acc = 0.0;
  int32_t last = -1;
  for (size_t i = 0; i < w.size(); ++i) {
    if (w[i] <= 0.0) continue;
    acc += w[i];
    last = int32_t(i);
    if (u < acc) return last;
  }
  return last;  // u rounded up to the sum
}

}  // namespace r1
