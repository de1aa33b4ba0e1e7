// The generate loop: prefill the prompt in one forward pass, then decode one token at a time over the
// latent cache (absorbed attention), until max_tokens or EOS.
#pragma once

#include <functional>
#include <vector>

#include "model/transformer.h"
#include "runtime/sampler.h"

namespace r1 {

struct GenerateParams {
  int64_t max_tokens = 16;
  bool ignore_eos = false;
  int64_t context = 0;  // cache capacity in tokens; 0: prompt + max_tokens
  SamplerParams sampler;
  AttnMode attn = AttnMode::Auto;
  DType cache_type = DType::F32;  // latent cache storage: F32, BF16 or F8_E4M3 (kernels/cache_row.h)
};

struct GenerateResult {
  std::vector<int32_t> tokens;  // generated ids (EOS included when it stopped the run)
  std::string finish_reason;    // "stop" (EOS) or "length"
  double prefill_seconds = 0, decode_seconds = 0;
};

// on_token (optional) is called after each generated token; returning false stops generation.
GenerateResult generate(const Model& m, const std::vector<int32_t>& prompt, const GenerateParams& p,
                        const std::function<bool(int32_t)>& on_token = {});

}  // namespace r1
