// Small ModelConfigs for the gradient checks: every dimension different, so a transposed or mixed-up
// index shows up as a shape error or a wrong gradient.
#pragma once

#include "model/config.h"

namespace r1::ag::test {

enum class Router { SoftmaxGreedy, SoftmaxGroupLimited, SigmoidNoauxTc };

inline ModelConfig tiny_config(bool q_lora, Router router = Router::SigmoidNoauxTc, bool yarn = true) {
  ModelConfig c;
  c.architecture = "DeepseekV3ForCausalLM";
  c.vocab_size = 11;
  c.dim = 12;
  c.inter_dim = 10;
  c.moe_inter_dim = 5;
  c.n_layers = 2;
  c.n_heads = 2;
  c.q_lora_rank = q_lora ? 7 : 0;
  c.kv_lora_rank = 6;
  c.qk_nope_head_dim = 4;
  c.qk_rope_head_dim = 4;
  c.v_head_dim = 3;
  c.n_routed_experts = 8;
  c.n_shared_experts = 1;
  c.n_activated_experts = 3;
  c.n_dense_layers = 1;
  c.rope_theta = 10000.0;
  c.rms_norm_eps = 1e-6;
  c.max_seq_len = 64;
  if (yarn) {
    c.yarn.enabled = true;
    c.yarn.factor = 40.0;
    c.yarn.original_seq_len = 4;
    c.yarn.mscale = 1.0;
    c.yarn.mscale_all_dim = 1.0;  // softmax scale * mscale^2 != qk_head_dim^-0.5
  }
  switch (router) {
    case Router::SoftmaxGreedy:
      c.score_func = ScoreFunc::Softmax;
      c.topk_method = TopkMethod::Greedy;
      c.route_scale = 1.0;
      break;
    case Router::SoftmaxGroupLimited:
      c.score_func = ScoreFunc::Softmax;
      c.topk_method = TopkMethod::GroupLimitedGreedy;
      c.n_expert_groups = 4;
      c.n_limited_groups = 2;
      c.route_scale = 16.0;
      break;
    case Router::SigmoidNoauxTc:
      c.score_func = ScoreFunc::Sigmoid;
      c.topk_method = TopkMethod::NoauxTc;
      c.n_expert_groups = 4;
      c.n_limited_groups = 2;
      c.norm_topk_prob = true;
      c.route_scale = 2.5;
      break;
  }
  return c;
}

}  // namespace r1::ag::test
