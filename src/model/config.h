// ModelConfig: everything the forward pass needs, read from a Hugging Face config.json.
// Field names follow DeepSeek's inference/model.py (ModelArgs); the config.json key each comes from is
// given beside it. Variants (V2-Lite, V2, V3, R1) differ only in these fields — never guess a variant from sizes.
#pragma once

#include <cstdint>
#include <string>

namespace r1 {

enum class ScoreFunc { Softmax, Sigmoid };                   // scoring_func
enum class TopkMethod { Greedy, GroupLimitedGreedy, NoauxTc };  // topk_method

struct YarnConfig {
  bool enabled = false;            // rope_scaling.type == "yarn"
  double factor = 1.0;             // rope_scaling.factor
  int64_t original_seq_len = 0;    // rope_scaling.original_max_position_embeddings
  double beta_fast = 32.0;         // rope_scaling.beta_fast
  double beta_slow = 1.0;          // rope_scaling.beta_slow
  double mscale = 1.0;             // rope_scaling.mscale
  double mscale_all_dim = 0.0;     // rope_scaling.mscale_all_dim
};

struct ModelConfig {
  std::string architecture;        // architectures[0]: DeepseekV2ForCausalLM | DeepseekV3ForCausalLM
  int64_t vocab_size = 0;          // vocab_size
  int64_t dim = 0;                 // hidden_size
  int64_t inter_dim = 0;           // intermediate_size (dense MLP)
  int64_t moe_inter_dim = 0;       // moe_intermediate_size (each routed / shared expert)
  int64_t n_layers = 0;            // num_hidden_layers (the MTP layers come after these)
  int64_t n_heads = 0;             // num_attention_heads
  // MLA
  int64_t q_lora_rank = 0;         // q_lora_rank; 0 when null (V2-Lite): q = wq(x)
  int64_t kv_lora_rank = 0;        // kv_lora_rank
  int64_t qk_nope_head_dim = 0;    // qk_nope_head_dim
  int64_t qk_rope_head_dim = 0;    // qk_rope_head_dim
  int64_t v_head_dim = 0;          // v_head_dim
  // MoE
  int64_t n_routed_experts = 0;    // n_routed_experts (0 when null: all layers dense)
  int64_t n_shared_experts = 0;    // n_shared_experts
  int64_t n_activated_experts = 0; // num_experts_per_tok
  int64_t n_dense_layers = 0;      // first_k_dense_replace
  int64_t moe_layer_freq = 1;      // moe_layer_freq
  ScoreFunc score_func = ScoreFunc::Softmax;
  TopkMethod topk_method = TopkMethod::Greedy;
  int64_t n_expert_groups = 1;     // n_group
  int64_t n_limited_groups = 1;    // topk_group
  bool norm_topk_prob = false;     // norm_topk_prob
  double route_scale = 1.0;        // routed_scaling_factor
  // Positions and norms
  double rope_theta = 10000.0;     // rope_theta
  YarnConfig yarn;                 // rope_scaling
  double rms_norm_eps = 1e-6;      // rms_norm_eps
  int64_t max_seq_len = 0;         // max_position_embeddings
  bool tie_word_embeddings = false;  // tie_word_embeddings
  int64_t n_mtp_layers = 0;        // num_nextn_predict_layers
  int64_t bos_token_id = -1;       // bos_token_id
  int64_t eos_token_id = -1;       // eos_token_id
  // FP8 checkpoints
  bool fp8 = false;                // quantization_config.quant_method == "fp8"
  int64_t fp8_block_out = 128;     // quantization_config.weight_block_size[0]
  int64_t fp8_block_in = 128;      // quantization_config.weight_block_size[1]

  int64_t qk_head_dim() const { return qk_nope_head_dim + qk_rope_head_dim; }
  bool is_moe_layer(int64_t layer) const {
    return n_routed_experts > 0 && layer >= n_dense_layers && layer % moe_layer_freq == 0;
  }
  // Softmax scale of MLA: qk_head_dim^-0.5, times mscale(factor, mscale_all_dim)^2 under YaRN.
  double softmax_scale() const;
  // Floats per token per layer in the latent KV cache.
  int64_t latent_cache_width() const { return kv_lora_rank + qk_rope_head_dim; }
};

// yarn_get_mscale of DeepSeek's code: 1 for scale <= 1, else 0.1 * m * ln(scale) + 1.
double yarn_mscale(double scale, double m);

// Parses config.json text; `source` names the file in errors. Unknown architecture, a missing key, a
// wrong type or a contradiction (e.g. n_routed_experts not divisible by n_group) throws r1::Error naming it.
ModelConfig parse_model_config(const std::string& json_text, const std::string& source);
ModelConfig load_model_config(const std::string& model_dir);  // reads DIR/config.json

}  // namespace r1
