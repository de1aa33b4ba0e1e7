#include "runtime/sampler.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "core/error.h"

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

int64_t Sampler::kept(const float* logits, int64_t n, std::vector<int32_t>& ids, std::vector<double>& prob) const {
  ids.resize(static_cast<size_t>(n));
  std::iota(ids.begin(), ids.end(), 0);
  // Highest logit first; ties -> lower id (stable).
  std::stable_sort(ids.begin(), ids.end(), [&](int32_t a, int32_t b) { return logits[a] > logits[b]; });
  int64_t keep = n;
  if (p_.top_k > 0) keep = std::min(keep, p_.top_k);
  prob.resize(static_cast<size_t>(keep));
  const double mx = logits[ids[0]];
  double sum = 0.0;
  for (int64_t i = 0; i < keep; ++i) {
    prob[size_t(i)] = std::exp((double(logits[ids[size_t(i)]]) - mx) / double(p_.temperature));
    sum += prob[size_t(i)];
  }
  if (p_.top_p < 1.0f) {  // smallest prefix whose probability reaches top_p
    double acc = 0.0;
    for (int64_t i = 0; i < keep; ++i) {
      acc += prob[size_t(i)] / sum;
      if (acc >= double(p_.top_p)) {
        keep = i + 1;
        break;
      }
    }
  }
  return keep;
}

int32_t Sampler::sample(const float* logits, int64_t n) {
  if (p_.temperature == 0.0f) return argmax(logits, n);
  std::vector<int32_t> ids;
  std::vector<double> prob;
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
