// The one table translating our tensor names (DeepSeek's inference/model.py names) to the names in
// Hugging Face checkpoints, and back. Everything else in r1 uses our names.
//
//   ours                                  Hugging Face
//   embed                                 model.embed_tokens.weight
//   norm / head                           model.norm.weight / lm_head.weight
//   layers.{i}.attn_norm / ffn_norm       model.layers.{i}.input_layernorm.weight / post_attention_layernorm.weight
//   layers.{i}.attn.wq ...                model.layers.{i}.self_attn.q_proj.weight ...
//   layers.{i}.ffn.experts.{j}.w1         model.layers.{i}.mlp.experts.{j}.gate_proj.weight
//   any FP8 weight's "<name>.scale"       "<hf name>_scale_inv"
#pragma once

#include <string>

namespace r1 {

// Throws r1::Error for a name not in the table.
std::string hf_name(const std::string& ours);
// Returns "" for an HF name not in the table.
std::string our_name(const std::string& hf);

}  // namespace r1
