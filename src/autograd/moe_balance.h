// The complementary sequence-wise balance loss of DeepSeek-V3 (technical report §2.1.2, eq. 17-20), for one
// MoE layer over B sequences of S tokens (rows b * S .. b * S + S - 1 of the router's scores):
//   s'_{i,t} = s_{i,t} / sum_j s_{j,t}          s = the router's affinity scores (sigmoid or softmax), before
//                                               the selection bias is added (MoEActs::scores)
//   f_i = N_r / (K_r T) * sum_t 1[i in top-K_r of token t]     (a constant: no gradient)
//   P_i = 1/T sum_t s'_{i,t}
//   L_bal = alpha * sum_i f_i P_i               T = S, N_r = n_routed_experts, K_r = n_activated_experts
// sum_i f_i P_i is 1 when every expert gets the same share of tokens and of score mass, and up to N_r / K_r
// when a sequence sends all its tokens and scores to the same K_r experts. The gradient flows through P_i into
// the scores (and from there through moe_gate_backward's score function into the router logits).
#pragma once

#include <cstdint>

#include "model/config.h"

namespace r1::ag {

// Returns the mean over the B sequences of sum_i f_i P_i (alpha not applied). scores (B * S, E),
// idx (B * S, K) the chosen experts (MoEActs::scores, MoEActs::idx).
template <class T>
double seq_balance_forward(const ModelConfig& c, const T* scores, const int32_t* idx, int64_t B, int64_t S);

// dscores (B * S, E) += d(weight * seq_balance_forward) / d scores: a loss weight * mean_b sum_i f_i P_i,
// e.g. weight = alpha for the V3 loss term.
template <class T>
void seq_balance_backward(const ModelConfig& c, T* dscores, const T* scores, const int32_t* idx, int64_t B,
                          int64_t S, double weight);

}  // namespace r1::ag
