// Feed-forward sub-layers: the dense SwiGLU MLP (= model.py MLP / Expert) and DeepSeekMoE (= model.py MoE).
#pragma once

#include "model/config.h"
#include "model/weights.h"

namespace r1 {

// y (T, dim) = w2(silu(w1 x) * w3 x) for x (T, dim); `pass` picks the matmul kernels (quant/weight.h).
void mlp_forward(const MLPWeights& w, const float* x, int64_t T, float* y, LinearPass pass = LinearPass::Auto);

// y (T, dim) = sum_k weight_k * expert_k(x) + shared_experts(x). Every token is routed first; then each chosen
// expert runs once over all its tokens (gather -> matmul -> scatter), so its weights are read once per call.
void moe_forward(const ModelConfig& c, const MoEWeights& w, const float* x, int64_t T, float* y,
                 LinearPass pass = LinearPass::Auto);

}  // namespace r1
