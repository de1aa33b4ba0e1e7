// Next-token selection. Greedy (temperature 0) is argmax with ties to the lowest id. Otherwise the chain is
// temperature -> top-k -> top-p (nucleus) -> draw with a seeded generator, so a seed reproduces a run.
#pragma once

#include <cstdint>

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

 private:
  SamplerParams p_;
  Rng rng_;
};

int32_t argmax(const float* x, int64_t n);

}  // namespace r1
