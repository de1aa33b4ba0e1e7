// Self-speculative decoding with DeepSeek-V3's multi-token-prediction module (greedy). Each step the main model
// verifies the MTP module's draft of the next-next token in one batched forward over the latent cache: it
// processes the pending token and the draft together, so when the draft equals the main model's own choice two
// tokens come out of one step (the second one is the main model's prediction after the draft). A rejected
// draft's cache row is simply overwritten by the next step (rows are per position; attention never reads past
// the row being processed). Every emitted token is the main model's argmax, so the output equals plain greedy
// decoding exactly. Sampling with speculation is not implemented yet (r1::Error).
#pragma once

#include <functional>
#include <vector>

#include "model/transformer.h"
#include "runtime/generate.h"

namespace r1 {

struct SpecStats {
  int64_t steps = 0;     // main-model forward passes after the prompt
  int64_t drafted = 0;   // drafts checked
  int64_t accepted = 0;  // drafts equal to the main model's token
  double acceptance() const { return drafted ? double(accepted) / double(drafted) : 0.0; }
};

GenerateResult generate_mtp(const Model& m, const std::vector<int32_t>& prompt, const GenerateParams& p,
                            const std::function<bool(int32_t)>& on_token = {}, SpecStats* stats = nullptr);

}  // namespace r1
