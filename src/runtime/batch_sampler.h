// Batched sampling for RL rollouts and evaluation: n completions for each of many prompts, decoded together
// (one Model::forward_rows step per token for every unfinished sequence, so each weight is read once per
// step for all of them). Each prompt is prefilled once; its n samples start from copies of that cache.
// Deterministic: completion j of prompt i draws from its own generator seeded by (seed, i, j), so results do not
// depend on batching or thread count.
#pragma once

#include <cstdint>
#include <vector>

#include "model/transformer.h"
#include "runtime/sampler.h"

namespace r1 {

struct BatchSampleParams {
  int64_t n = 1;                 // completions per prompt
  int64_t max_tokens = 64;       // per completion (the stop token counts)
  float temperature = 1.0f;      // 0: greedy
  float top_p = 1.0f;
  int64_t top_k = 0;
  uint64_t seed = 0;
  std::vector<int32_t> stop;     // stop tokens (e.g. EOS); kept as the completion's last token
  DType cache_type = DType::F32; // latent cache storage: F32, BF16 or F8_E4M3 (kernels/cache_row.h)
};

struct SampledCompletion {
  int64_t prompt = 0;            // index into the prompts
  std::vector<int32_t> tokens;   // the completion (ends with a stop token when finished)
  bool finished = false;         // stopped by a stop token (false: hit max_tokens)
};

// Completions in order: prompt 0's n, then prompt 1's, ... Prompts must be non-empty and fit the model's
// context with max_tokens; otherwise r1::Error.
std::vector<SampledCompletion> sample_batch(const Model& m, const std::vector<std::vector<int32_t>>& prompts,
                                            const BatchSampleParams& p);

}  // namespace r1
