// One decoder block (= model.py Block.forward), pre-norm with visible residuals:
//   h2  = h  + attn(attn_norm(h))
//   out = h2 + ffn(ffn_norm(h2))        ffn = dense SwiGLU MLP or DeepSeekMoE
#pragma once

#include <cstdint>
#include <vector>

#include "autograd/attention_mla.h"
#include "autograd/moe.h"
#include "autograd/rope.h"
#include "autograd/swiglu.h"
#include "model/config.h"

namespace r1::ag {

// Block weights or their gradients (non-owning pointers into a ParamSet).
template <class T>
struct BlockParams {
  T* attn_norm = nullptr;  // (dim)
  T* ffn_norm = nullptr;   // (dim)
  MLAParams<T> attn;
  bool is_moe = false;
  MLPParams<T> mlp;  // dense layers (inter = inter_dim)
  MoEParams<T> moe;  // MoE layers
};

template <class T>
struct BlockActs {
  std::vector<T> x1;     // (B, S, dim) attn_norm(h)
  std::vector<T> rstd1;  // (B, S)
  MLAActs<T> attn;
  std::vector<T> y;      // (B, S, dim) sub-layer output scratch
  std::vector<T> h2;     // (B, S, dim) h + attn
  std::vector<T> x2;     // (B, S, dim) ffn_norm(h2)
  std::vector<T> rstd2;  // (B, S)
  MLPActs<T> mlp;
  MoEActs<T> moe;
  std::vector<T> out;    // (B, S, dim) block output
};

// acts.out (B, S, dim) = block(h), h (B, S, dim) the residual stream entering the block.
template <class T>
void block_forward(const ModelConfig& c, const RopeTable<T>& rope, const BlockParams<T>& p, BlockActs<T>& acts,
                   const T* h, int64_t B, int64_t S);

// dh (B, S, dim) += dL/dh, grads += dL/dparams, given dout (B, S, dim) = dL/d(acts.out) and, for a MoE block,
// dscores (B, S, n_routed_experts) = dL/d(acts.moe.scores) from the sequence-wise balance loss, or null.
template <class T>
void block_backward(const ModelConfig& c, const RopeTable<T>& rope, const BlockParams<T>& p, const BlockParams<T>& grads,
                    const BlockActs<T>& acts, const T* h, int64_t B, int64_t S, const T* dout, T* dh,
                    const T* dscores = nullptr);

}  // namespace r1::ag
