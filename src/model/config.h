// ModelConfig: everything the forward pass needs, read from a Hugging Face config.json.
// Field names follow DeepSeek's inference/model.py (ModelArgs); the config.json key each comes from is
// given beside it. Variants (V2-Lite, V2, V3, R1) differ only in these fields — never guess a variant from sizes.
#pragma once

#include <cstdint>
#include <string>

namespace r1 {

enum class ScoreFunc { Softmax, Sigmoid };                   // scoring_func
enum class TopkMethod { Greedy, GroupLimitedGreedy, NoauxTc };  // topk_method
// The attention of the architecture: DeepSeek's Multi-head Latent Attention, or the grouped-query attention
// of the R1-Distill families (Qwen2ForCausalLM, LlamaForCausalLM).
enum class AttnKind { MLA, GQA };
// How rotary channels pair up: DeepSeek's checkpoints rotate interleaved pairs (2i, 2i+1); Hugging Face's
// Qwen2/Llama checkpoints rotate halves (i, i + d/2) ("NeoX" style, rotate_half).
enum class RopeStyle { Interleaved, NeoX };

struct YarnConfig {
  bool enabled = false;            // rope_scaling.type == "yarn"
  double factor = 1.0;             // rope_scaling.factor
  int64_t original_seq_len = 0;    // rope_scaling.original_max_position_embeddings
  double beta_fast = 32.0;         // rope_scaling.beta_fast
  double beta_slow = 1.0;          // rope_scaling.beta_slow
  double mscale = 1.0;             // rope_scaling.mscale
  double mscale_all_dim = 0.0;     // rope_scaling.mscale_all_dim
};

// Llama 3's frequency rescaling (rope_scaling.rope_type == "llama3"): long wavelengths divided by factor,
// short ones kept, a smooth blend between.
struct Llama3RopeConfig {
  bool enabled = false;
  double factor = 1.0;               // rope_scaling.factor
  double low_freq_factor = 1.0;      // rope_scaling.low_freq_factor
  double high_freq_factor = 4.0;     // rope_scaling.high_freq_factor
  int64_t original_seq_len = 0;      // rope_scaling.original_max_position_embeddings
};

struct ModelConfig {
  std::string architecture;        // architectures[0]: DeepseekV2ForCausalLM | DeepseekV3ForCausalLM |
                                   // Qwen2ForCausalLM | LlamaForCausalLM
  AttnKind attn = AttnKind::MLA;   // MLA for DeepSeek, GQA for the R1-Distill families
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
  // GQA (Qwen2 / Llama): q (n_heads * head_dim), k and v (n_kv_heads * head_dim) each, o back to dim
  int64_t n_kv_heads = 0;          // num_key_value_heads
  int64_t head_dim = 0;            // head_dim (Llama, optional) or hidden_size / num_attention_heads
  bool qkv_bias = false;           // Qwen2: always; Llama: attention_bias
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
  YarnConfig yarn;                 // rope_scaling (DeepSeek)
  Llama3RopeConfig llama3;         // rope_scaling (Llama 3)
  RopeStyle rope_style = RopeStyle::Interleaved;
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

  int64_t qk_head_dim() const { return attn == AttnKind::GQA ? head_dim : qk_nope_head_dim + qk_rope_head_dim; }
  // Channels of a query/key head that RoPE rotates: qk_rope_head_dim for MLA, the whole head for GQA.
  int64_t rope_dim() const { return attn == AttnKind::GQA ? head_dim : qk_rope_head_dim; }
  bool is_moe_layer(int64_t layer) const {
    return n_routed_experts > 0 && layer >= n_dense_layers && layer % moe_layer_freq == 0;
  }
  // Softmax scale: qk_head_dim^-0.5, times mscale(factor, mscale_all_dim)^2 under YaRN (MLA).
  double softmax_scale() const;
  // Floats per token per layer in the KV cache: the latent (kv_lora_rank + qk_rope_head_dim) for MLA;
  // the keys and values of the KV heads (2 * n_kv_heads * head_dim) for GQA.
  int64_t latent_cache_width() const {
    return attn == AttnKind::GQA ? 2 * n_kv_heads * head_dim : kv_lora_rank + qk_rope_head_dim;
  }
};

// yarn_get_mscale of DeepSeek's code: 1 for scale <= 1, else 0.1 * m * ln(scale) + 1.
double yarn_mscale(double scale, double m);

// Parses config.json text; `source` names the file in errors. Unknown architecture, a missing key, a
// wrong type or a contradiction (e.g. n_routed_experts not divisible by n_group) throws r1::Error naming it.
ModelConfig parse_model_config(const std::string& json_text, const std::string& source);
ModelConfig load_model_config(const std::string& model_dir);  // reads DIR/config.json

}  // namespace r1
