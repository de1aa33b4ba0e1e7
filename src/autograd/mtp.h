// Multi-token prediction module of DeepSeek-V3 §2.2 (one depth), stored as layer n_layers + k:
//   h'  = eh_proj([enorm(Emb(t_{i+k})) | hnorm(h^{k-1}_i)])     concat order as src/model/weights.h MTPWeights
//   h^k = norm(Block(h'))                                          norm = shared_head.norm
//   logits = head(h^k)                                             Emb and head shared with the main model
// h^{k-1} is the previous depth's output; for k = 1 the main model's final-norm output, as the inference
// engines that run DeepSeek's MTP weights (vLLM, SGLang) feed it. h^k is both what the shared head reads and
// what the next depth receives.
#pragma once

#include <cstdint>
#include <vector>

#include "autograd/block.h"
#include "autograd/rope.h"
#include "model/config.h"

namespace r1::ag {

template <class T>
struct MTPParams {
  T* enorm = nullptr;    // (dim) norm of the next token's embedding
  T* hnorm = nullptr;    // (dim) norm of the previous depth's hidden state
  T* eh_proj = nullptr;  // (dim, 2 * dim) applied to [enorm(e) | hnorm(h)]
  BlockParams<T> block;  // one full decoder block (MoE when the model has routed experts)
  T* norm = nullptr;     // (dim) shared_head.norm
};

template <class T>
struct MTPActs {
  std::vector<T> emb;     // (B, S, dim) Emb(next tokens)
  std::vector<T> e_rstd;  // (B, S)
  std::vector<T> h_rstd;  // (B, S)
  std::vector<T> cat;     // (B, S, 2 * dim) [enorm(emb) | hnorm(h)]
  std::vector<T> hp;      // (B, S, dim) eh_proj(cat), the block's input
  BlockActs<T> block;
  std::vector<T> out;     // (B, S, dim) norm(block output) = h^k
  std::vector<T> o_rstd;  // (B, S)
  std::vector<T> logits;  // (B, S, vocab_size)
};

// h (B, S, dim) = h^{k-1}; next (B, S) the tokens t_{i+k}; embed, head (vocab_size, dim) the shared tables.
// Fills acts (acts.out = h^k, acts.logits).
template <class T>
void mtp_forward(const ModelConfig& c, const RopeTable<T>& rope, const MTPParams<T>& p, const T* embed, const T* head,
                 MTPActs<T>& acts, const T* h, const int32_t* next, int64_t B, int64_t S);

// Given dlogits (B, S, vocab_size) and optionally dout (B, S, dim) (the next depth's gradient of h^k, or null):
// grads += dL/dparams, dembed / dhead (vocab_size, dim) += their shares, dh (B, S, dim) += dL/dh^{k-1}.
template <class T>
void mtp_backward(const ModelConfig& c, const RopeTable<T>& rope, const MTPParams<T>& p, const MTPParams<T>& grads,
                  const T* embed, const T* head, T* dembed, T* dhead, const MTPActs<T>& acts, const T* h,
                  const int32_t* next, int64_t B, int64_t S, const T* dlogits, const T* dout, T* dh);

}  // namespace r1::ag
