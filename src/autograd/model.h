// The whole DeepSeek model for training (= model.py Transformer.forward over whole sequences, plus the MTP
// modules of DeepSeek-V3 §2.2), as forward / backward over a ParamSet:
//   h = Emb(tokens);  h = Block_i(h) for each layer;  hf = norm(h);  logits = head(hf)
//   loss = CE(logits, targets) + mtp_weight * mean_k CE(MTP_k logits, targets shifted by k)
//          + seq_aux_alpha * mean_b sum_l sum_i f_i P_i
// the last term being DeepSeek-V3's sequence-wise balance loss (autograd/moe_balance.h) of each sequence b, summed
// over the main model's MoE layers l (the MTP modules' blocks are not balanced) and averaged over the batch.
// MTP depth k (1-based) runs over the S - k positions whose token t_{i+k} is in the input: its input is
// h^{k-1} (h^0 = hf) at positions 0..S-k-1 and Emb(tokens[i + k]); it predicts targets[i + k].
#pragma once

#include <cstdint>
#include <vector>

#include "autograd/block.h"
#include "autograd/mtp.h"
#include "autograd/param_set.h"
#include "autograd/rope.h"
#include "model/config.h"

namespace r1::ag {

// Pointers into a ParamSet's values or gradients, per layer.
template <class T>
struct ModelParams {
  T* embed = nullptr;  // (vocab_size, dim)
  std::vector<BlockParams<T>> layers;
  T* norm = nullptr;   // (dim)
  T* head = nullptr;   // (vocab_size, dim); = embed when tie_word_embeddings
  std::vector<MTPParams<T>> mtp;
};

// Binds the tensors of `ps` (grads = false) or their gradients (grads = true). Gradients of non-trainable
// tensors (the router bias) are bound as null.
template <class T>
ModelParams<T> bind_params(ParamSet<T>& ps, bool grads);

template <class T>
struct ModelActs {
  int64_t B = 0, S = 0;
  std::vector<int32_t> tokens;   // (B, S)
  std::vector<int32_t> targets;  // (B, S); empty when the forward ran without targets
  RopeTable<T> rope;             // positions 0..S-1
  std::vector<T> h0;             // (B, S, dim) embeddings
  std::vector<BlockActs<T>> layers;
  std::vector<T> hf;             // (B, S, dim) final norm output
  std::vector<T> rstd_f;         // (B, S)
  std::vector<T> logits;         // (B, S, vocab_size)
  std::vector<T> probs;          // (B, S, vocab_size) softmax of logits, for the loss backward
  // Optional, set by the caller before model_forward: per-token weights (B, S). Then the main loss is
  // sum_t w_t * -log p(target_t) (not the mean): the weighted loss RL objectives backpropagate (rl/grpo_loss.h).
  std::vector<T> row_weights;
  std::vector<T> target_logp;    // (B, S) log p(target) per position, filled when row_weights is set
  // MTP depth k = index + 1, over S - k positions
  std::vector<std::vector<T>> mtp_h;           // (B, S - k, dim) h^{k-1}
  std::vector<std::vector<int32_t>> mtp_next;  // (B, S - k) tokens[b, i + k]
  std::vector<std::vector<int32_t>> mtp_tgt;   // (B, S - k) targets[b, i + k]
  std::vector<MTPActs<T>> mtp;
  std::vector<std::vector<T>> mtp_probs;       // (B, S - k, vocab_size)
};

struct ModelLoss {
  double main = 0.0;   // mean next-token cross-entropy
  double mtp = 0.0;    // mean over MTP depths of their mean cross-entropy (0 without MTP)
  double seq_aux = 0.0;  // mean over sequences of sum over the main model's MoE layers of sum_i f_i P_i (without
                         // alpha; computed whatever alpha is: 1 per layer when perfectly balanced, 0 if no MoE)
  double total = 0.0;  // main + mtp_weight * mtp + seq_aux_alpha * seq_aux
};

// tokens, targets (B, S); targets may be null (then only acts.logits is computed and no loss). Target ids
// equal to kIgnoreIndex (autograd/loss.h) are skipped. MTP runs when targets are given and the params hold
// MTP modules. Each row of (B, S) is one sequence of the balance loss.
template <class T>
ModelLoss model_forward(const ModelConfig& c, const ModelParams<T>& p, ModelActs<T>& acts, const int32_t* tokens,
                        const int32_t* targets, int64_t B, int64_t S, double mtp_weight, double seq_aux_alpha = 0.0);

// Accumulates d total / d params into grads (bound with bind_params(ps, true)); call after model_forward
// with targets, with the same mtp_weight and seq_aux_alpha.
template <class T>
void model_backward(const ModelConfig& c, const ModelParams<T>& p, const ModelParams<T>& grads,
                    const ModelActs<T>& acts, double mtp_weight, double seq_aux_alpha = 0.0);

}  // namespace r1::ag
