// DeepSeekMoE routing (= model.py Gate.forward), separated from the experts so it can be tested on
// hand-made scores.
//   scores s = softmax(logits) or sigmoid(logits)                       (scoring_func)
//   choice c = s + e_score_correction_bias (noaux_tc only; selection only, never in the weights)
//   groups (n_group > 1): a group's score is its max c (V2) or the sum of its two largest c (V3, bias present);
//     keep the topk_group best groups, others masked to -inf
//   top-k of c; weights = s of the chosen experts, / their sum if norm_topk_prob, * routed_scaling_factor.
// Ties go to the lower expert index.
#pragma once

#include <cstdint>

#include "model/config.h"

namespace r1 {

// logits (n_routed_experts) f32 router logits; bias (n_routed_experts) or nullptr.
// Writes the chosen experts to idx (n_activated_experts, best first) and their weights to weight.
void moe_route(const ModelConfig& c, const float* logits, const float* bias, int32_t* idx, float* weight);

}  // namespace r1
