#include "rl/grpo_loss.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "core/error.h"

namespace r1::rl {
namespace {

void require_finite(std::span<const double> v, const char* what) {
  for (size_t i = 0; i < v.size(); ++i)
    require(std::isfinite(v[i]), std::string("grpo: ") + what + "[" + std::to_string(i) + "] is not finite");
}

}  // namespace

GroupAdvantages compute_group_advantages(std::span<const double> rewards, size_t group_size,
                                         std::span<const uint8_t> truncated, const AdvantageParams& p) {
  const size_t n = rewards.size();
  require(group_size >= 1, "grpo: group_size must be >= 1");
  require(n > 0 && n % group_size == 0, "grpo: " + std::to_string(n) + " rewards is not a positive multiple of group_size " +
                                            std::to_string(group_size));
  require(truncated.empty() || truncated.size() == n,
          "grpo: truncated has " + std::to_string(truncated.size()) + " entries, rewards " + std::to_string(n));
  require(!p.unbiased_std || group_size >= 2, "grpo: unbiased_std needs group_size >= 2");
  require(p.eps >= 0 && std::isfinite(p.eps), "grpo: eps must be finite and >= 0");
  require_finite(rewards, "rewards");
  if (p.overlong == OverlongMode::reward)
    require(std::isfinite(p.overlong_reward), "grpo: overlong_reward is not finite");

  GroupAdvantages out;
  out.rewards.assign(rewards.begin(), rewards.end());
  out.advantages.assign(n, 0.0);
  out.keep.assign(n, 1);
  for (size_t i = 0; i < n; ++i) {
    if (truncated.empty() || !truncated[i]) continue;
    if (p.overlong == OverlongMode::reward) out.rewards[i] = p.overlong_reward;
    if (p.overlong == OverlongMode::mask) out.keep[i] = 0;
  }

  for (size_t g = 0; g < n; g += group_size) {
    const double* r = out.rewards.data() + g;
    const bool uniform = std::all_of(r, r + group_size, [&](double x) { return x == r[0]; });
    if (uniform && p.drop_uniform_groups) {
      std::fill(out.keep.begin() + std::ptrdiff_t(g), out.keep.begin() + std::ptrdiff_t(g + group_size), 0);
      ++out.groups_dropped;
      continue;  // advantages stay 0
    }
    ++out.groups_kept;
    double mean = 0;
    for (size_t i = 0; i < group_size; ++i) mean += r[i];
    mean /= double(group_size);
    double scale = 1.0;
    if (p.scale_by_std) {
      double ss = 0;
      for (size_t i = 0; i < group_size; ++i) ss += (r[i] - mean) * (r[i] - mean);
      const double var = ss / double(p.unbiased_std ? group_size - 1 : group_size);
      const double denom = std::sqrt(var) + p.eps;
      // A uniform group has every r_i − mean = 0, so with eps = 0 its advantages are defined as 0.
      scale = denom > 0 ? 1.0 / denom : 0.0;
    }
    for (size_t i = 0; i < group_size; ++i) out.advantages[g + i] = (r[i] - mean) * scale;
  }
  return out;
}

std::vector<double> aggregation_weights(std::span<const size_t> offsets, std::span<const uint8_t> keep,
                                        Aggregation aggregation, size_t max_len) {
  require(!offsets.empty() && offsets[0] == 0, "grpo: offsets must start at 0");
  const size_t n_seq = offsets.size() - 1;
  require(keep.empty() || keep.size() == n_seq,
          "grpo: keep has " + std::to_string(keep.size()) + " entries, sequences " + std::to_string(n_seq));
  for (size_t s = 0; s < n_seq; ++s)
    require(offsets[s] <= offsets[s + 1], "grpo: offsets decrease at sequence " + std::to_string(s));
  if (aggregation == Aggregation::constant_norm) require(max_len > 0, "grpo: constant_norm needs max_len > 0");

  const size_t n_tokens = offsets[n_seq];
  auto kept = [&](size_t s) { return (keep.empty() || keep[s]) && offsets[s + 1] > offsets[s]; };
  size_t n_kept = 0, kept_tokens = 0;
  for (size_t s = 0; s < n_seq; ++s) {
    if (!kept(s)) continue;
    ++n_kept;
    kept_tokens += offsets[s + 1] - offsets[s];
    if (aggregation == Aggregation::constant_norm)
      require(offsets[s + 1] - offsets[s] <= max_len,
              "grpo: sequence " + std::to_string(s) + " has " + std::to_string(offsets[s + 1] - offsets[s]) +
                  " tokens, more than max_len " + std::to_string(max_len));
  }
  std::vector<double> w(n_tokens, 0.0);
  if (n_kept == 0) return w;
  for (size_t s = 0; s < n_seq; ++s) {
    if (!kept(s)) continue;
    const size_t len = offsets[s + 1] - offsets[s];
    double ws = 0;
    switch (aggregation) {
      case Aggregation::sequence_mean: ws = 1.0 / (double(n_kept) * double(len)); break;
      case Aggregation::token_mean: ws = 1.0 / double(kept_tokens); break;
      case Aggregation::constant_norm: ws = 1.0 / (double(n_kept) * double(max_len)); break;
    }
    std::fill(w.begin() + std::ptrdiff_t(offsets[s]), w.begin() + std::ptrdiff_t(offsets[s + 1]), ws);
  }
  return w;
}

GrpoLossResult grpo_loss(const GrpoBatch& b, const GrpoLossParams& p) {
  require(!b.offsets.empty(), "grpo: offsets must hold n_seq + 1 entries");
  const size_t n_seq = b.offsets.size() - 1, n_tokens = b.logp_new.size();
  require(b.offsets.back() == n_tokens, "grpo: offsets end at " + std::to_string(b.offsets.back()) + ", logp_new has " +
                                            std::to_string(n_tokens) + " tokens");
  require(b.logp_old.size() == n_tokens, "grpo: logp_old and logp_new differ in length");
  require(b.logp_ref.size() == n_tokens || (b.logp_ref.empty() && p.beta == 0),
          "grpo: logp_ref must match logp_new in length (it may be empty only when beta == 0)");
  require(b.advantages.size() == n_seq, "grpo: advantages has " + std::to_string(b.advantages.size()) +
                                            " entries, sequences " + std::to_string(n_seq));
  require(p.clip_low >= 0 && p.clip_low < 1 && p.clip_high >= 0 && std::isfinite(p.clip_high),
          "grpo: need 0 <= clip_low < 1 and a finite clip_high >= 0");
  require(p.beta >= 0 && std::isfinite(p.beta), "grpo: beta must be finite and >= 0");
  require_finite(b.logp_new, "logp_new");
  require_finite(b.logp_old, "logp_old");
  require_finite(b.logp_ref, "logp_ref");
  require_finite(b.advantages, "advantages");

  const std::vector<double> w = aggregation_weights(b.offsets, b.keep, p.aggregation, p.max_len);
  GrpoLossResult out;
  out.grad.assign(n_tokens, 0.0);
  GrpoStats& st = out.stats;
  size_t clipped = 0, clipped_low = 0, clipped_high = 0;
  double sum_kl = 0, sum_ratio = 0;
  for (size_t s = 0; s < n_seq; ++s) {
    const size_t t0 = b.offsets[s], t1 = b.offsets[s + 1];
    if (t0 == t1 || w[t0] == 0) continue;  // dropped or empty
    ++st.n_seq;
    const double A = b.advantages[s];
    for (size_t t = t0; t < t1; ++t) {
      const double ratio = std::exp(b.logp_new[t] - b.logp_old[t]);
      const double clipped_ratio = std::clamp(ratio, 1.0 - p.clip_low, 1.0 + p.clip_high);
      const double unclipped_term = ratio * A, clipped_term = clipped_ratio * A;
      double surr, dsurr;
      if (clipped_term < unclipped_term) {  // the clipped term is the minimum: constant in logp_new
        surr = clipped_term;
        dsurr = 0;
        ++clipped;
        if (ratio < 1.0 - p.clip_low) ++clipped_low;
        else ++clipped_high;
      } else {
        surr = unclipped_term;
        dsurr = unclipped_term;  // d(ratio·A)/d logp_new = ratio·A
      }
      double kl = 0, dkl = 0;
      if (!b.logp_ref.empty()) {  // non-empty whenever beta != 0
        const double d = b.logp_ref[t] - b.logp_new[t];
        const double e = std::exp(d);
        kl = e - d - 1;
        dkl = 1 - e;  // d/d logp_new of exp(d) − d − 1, with d = logp_ref − logp_new
      }
      const double l = -(surr - p.beta * kl);
      out.loss += w[t] * l;
      out.grad[t] = w[t] * -(dsurr - p.beta * dkl);
      ++st.n_tokens;
      sum_kl += kl;
      sum_ratio += ratio;
    }
  }
  if (st.n_tokens > 0) {
    const double nt = double(st.n_tokens);
    st.clip_fraction = double(clipped) / nt;
    st.clip_low_fraction = double(clipped_low) / nt;
    st.clip_high_fraction = double(clipped_high) / nt;
    st.mean_kl = sum_kl / nt;
    st.mean_ratio = sum_ratio / nt;
  }
  return out;
}

}  // namespace r1::rl
