// Next-token selection. Greedy (temperature 0) is argmax with ties to the lowest id. Otherwise the chain is
// temperature -> top-k -> top-p (nucleus) -> draw with a seeded generator, so a seed reproduces a run.
#pragma once

#include <cstdint>
#include <vector>

#include "core/rng.h"

namespace r1 {

struct SamplerParams {
  float temperature = 0.0f;  // 0: greedy
  int64_t top_k = 0;         // 0: off
  float top_p = 1.0f;        // 1: off
  uint64_t seed = 0;
};

class Sampler {
 public:
  explicit Sampler(const SamplerParams& p);  // throws r1::Error on out-of-range parameters
  int32_t sample(const float* logits, int64_t n);
  // The distribution sample() draws from, over all n ids (0 outside the kept set; sums to 1). Greedy: one-hot
  // at the argmax. Speculative sampling compares the target's and the draft's distributions.
  void distribution(const float* logits, int64_t n, std::vector<double>& p) const;
  // Draws an id with probability proportional to w[i] >= 0 (not necessarily normalised; sum > 0).
  int32_t draw(const std::vector<double>& w);
  double uniform();  // [0, 1), 53 random bits
  bool greedy() const { return p_.temperature == 0.0f; }

 private:
  // The kept ids (in the order draws walk them) and their unnormalised weights; returns how many are kept.
  int64_t kept(const float* logits, int64_t n, std::vector<int32_t>& ids, std::vector<double>& w) const;
  SamplerParams p_;
  Rng rng_;
};

int32_t argmax(const float* x, int64_t n);

}  // namespace r1
