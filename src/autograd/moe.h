// DeepSeekMoE for training (= model.py Gate + MoE): router, expert gather / scatter, shared experts.
//   scores s = softmax(logits) or sigmoid(logits), logits = x gate^T                     (scoring_func)
//   selection on c = s + e_score_correction_bias (noaux_tc; the bias only selects), optionally limited to
//   the topk_group best of n_group groups (group score: max c, or the sum of the two largest c with the bias),
//   top-k of c; weights w = s[chosen] (/ their sum if norm_topk_prob) * routed_scaling_factor.
// The same rules as src/model/moe_gate (ties go to the lower index). Gradients flow through the weights w
// into s and the logits; the discrete selection is treated as a constant.
#pragma once

#include <cstdint>
#include <vector>

#include "autograd/swiglu.h"
#include "model/config.h"

namespace r1::ag {

// logits (N, E) router logits; bias (E) or null. Writes scores (N, E), idx (N, K) chosen experts best
// first, weight (N, K). E = n_routed_experts, K = n_activated_experts.
template <class T>
void moe_gate_forward(const ModelConfig& c, const T* logits, const T* bias, int64_t N, T* scores, int32_t* idx,
                      T* weight);

// dlogits (N, E) += dL/dlogits given dweight (N, K) = dL/dweight, through the chosen experts' scores, plus
// dscores (N, E) = a gradient on all the scores from outside the routing (the sequence-wise balance loss,
// autograd/moe_balance.h), or null.
template <class T>
void moe_gate_backward(const ModelConfig& c, T* dlogits, const T* dweight, const T* scores, const int32_t* idx,
                       int64_t N, const T* dscores = nullptr);

// MoE weights or their gradients (non-owning pointers into a ParamSet).
template <class T>
struct MoEParams {
  T* gate = nullptr;                   // (n_routed_experts, dim)
  T* bias = nullptr;                   // (n_routed_experts) e_score_correction_bias, noaux_tc only; never
                                       // trained by gradient (always null in the gradient struct)
  std::vector<MLPParams<T>> experts;   // n_routed_experts, inter = moe_inter_dim
  MLPParams<T> shared;                 // inter = n_shared_experts * moe_inter_dim; w1 null when there are none
};

template <class T>
struct MoEActs {
  std::vector<T> logits;                    // (N, n_routed_experts)
  std::vector<T> scores;                    // (N, n_routed_experts)
  std::vector<int32_t> idx;                 // (N, n_activated_experts)
  std::vector<T> weight;                    // (N, n_activated_experts)
  std::vector<std::vector<int64_t>> slots;  // per expert: the slots n * K + k routed to it, in token order
  std::vector<int64_t> slot_row;            // (N * K) row of each slot within its expert's batch
  std::vector<std::vector<T>> xs;           // per expert (n_e, dim) gathered inputs
  std::vector<std::vector<T>> ys;           // per expert (n_e, dim) expert outputs
  std::vector<MLPActs<T>> expert;           // per expert
  MLPActs<T> shared;
};

// out (N, dim) = sum_k w_k expert_k(x) + shared_experts(x), x (N, dim) the ffn_norm output.
template <class T>
void moe_forward(const ModelConfig& c, const MoEParams<T>& p, MoEActs<T>& acts, const T* x, int64_t N, T* out);

// dx (N, dim) += dL/dx (may be null), grads += dL/dparams, given dout (N, dim) and dscores (N, E) = dL/d
// acts.scores from a loss on the router scores (the sequence-wise balance loss), or null.
template <class T>
void moe_backward(const ModelConfig& c, const MoEParams<T>& p, const MoEParams<T>& grads, const MoEActs<T>& acts,
                  const T* x, int64_t N, const T* dout, T* dx, const T* dscores = nullptr);

}  // namespace r1::ag
