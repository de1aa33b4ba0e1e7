#include "model/config.h"

#include <cmath>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "io/file_util.h"

using json = nlohmann::json;

namespace r1 {

double yarn_mscale(double scale, double m) { return scale <= 1.0 ? 1.0 : 0.1 * m * std::log(scale) + 1.0; }

double ModelConfig::softmax_scale() const {
  double s = 1.0 / std::sqrt(double(qk_head_dim()));
  if (attn == AttnKind::MLA && yarn.enabled && yarn.mscale_all_dim != 0.0) {
    const double m = yarn_mscale(yarn.factor, yarn.mscale_all_dim);
    s *= m * m;
  }
  return s;
}

namespace {

struct Reader {
  const json& j;
  const std::string& src;

  [[noreturn]] void fail(const std::string& key, const std::string& what) const {
    throw Error(src + ": key '" + key + "' " + what);
  }
  const json& at(const std::string& key) const {
    if (!j.contains(key)) fail(key, "is missing");
    return j[key];
  }
  bool null_or_absent(const std::string& key) const { return !j.contains(key) || j[key].is_null(); }
  int64_t integer(const std::string& key) const {
    const json& v = at(key);
    if (!v.is_number_integer()) fail(key, "must be an integer");
    return v.get<int64_t>();
  }
  int64_t positive(const std::string& key) const {
    const int64_t v = integer(key);
    if (v <= 0) fail(key, "must be positive, got " + std::to_string(v));
    return v;
  }
  int64_t integer_or(const std::string& key, int64_t dflt) const { return null_or_absent(key) ? dflt : integer(key); }
  double number(const std::string& key) const {
    const json& v = at(key);
    if (!v.is_number()) fail(key, "must be a number");
    return v.get<double>();
  }
  double number_or(const std::string& key, double dflt) const { return null_or_absent(key) ? dflt : number(key); }
  bool boolean_or(const std::string& key, bool dflt) const {
    if (null_or_absent(key)) return dflt;
    if (!j[key].is_boolean()) fail(key, "must be true or false");
    return j[key].get<bool>();
  }
  std::string string(const std::string& key) const {
    const json& v = at(key);
    if (!v.is_string()) fail(key, "must be a string");
    return v.get<std::string>();
  }
};

}  // namespace

namespace {

// MLA and DeepSeekMoE keys (DeepseekV2/V3ForCausalLM).
void parse_deepseek(const Reader& r, ModelConfig& c) {
  const json& j = r.j;
  const bool v3 = c.architecture == "DeepseekV3ForCausalLM";
  if (!r.null_or_absent("num_key_value_heads") && r.integer("num_key_value_heads") != c.n_heads)
    r.fail("num_key_value_heads", "must equal num_attention_heads for MLA");
  c.q_lora_rank = r.null_or_absent("q_lora_rank") ? 0 : r.positive("q_lora_rank");
  if (!j.contains("q_lora_rank")) r.fail("q_lora_rank", "is missing (use null for no query compression)");
  c.kv_lora_rank = r.positive("kv_lora_rank");
  c.qk_nope_head_dim = r.positive("qk_nope_head_dim");
  c.qk_rope_head_dim = r.positive("qk_rope_head_dim");
  if (c.qk_rope_head_dim % 2) r.fail("qk_rope_head_dim", "must be even (RoPE rotates pairs)");
  c.v_head_dim = r.positive("v_head_dim");

  c.n_routed_experts = r.integer_or("n_routed_experts", 0);
  if (c.n_routed_experts < 0) r.fail("n_routed_experts", "must not be negative");
  if (c.n_routed_experts > 0) {
    c.moe_inter_dim = r.positive("moe_intermediate_size");
    c.n_shared_experts = r.integer_or("n_shared_experts", 0);
    c.n_activated_experts = r.positive("num_experts_per_tok");
    if (c.n_activated_experts > c.n_routed_experts)
      r.fail("num_experts_per_tok", "exceeds n_routed_experts (" + std::to_string(c.n_routed_experts) + ")");
    c.n_dense_layers = r.integer("first_k_dense_replace");
    c.moe_layer_freq = r.positive("moe_layer_freq");
    const std::string sf = v3 ? r.string("scoring_func") : (r.null_or_absent("scoring_func") ? "softmax" : r.string("scoring_func"));
    if (sf == "softmax") c.score_func = ScoreFunc::Softmax;
    else if (sf == "sigmoid") c.score_func = ScoreFunc::Sigmoid;
    else r.fail("scoring_func", "must be softmax or sigmoid, got '" + sf + "'");
    const std::string tm = r.string("topk_method");
    if (tm == "greedy") c.topk_method = TopkMethod::Greedy;
    else if (tm == "group_limited_greedy") c.topk_method = TopkMethod::GroupLimitedGreedy;
    else if (tm == "noaux_tc") c.topk_method = TopkMethod::NoauxTc;
    else r.fail("topk_method", "must be greedy, group_limited_greedy or noaux_tc, got '" + tm + "'");
    c.n_expert_groups = r.integer_or("n_group", 1);
    c.n_limited_groups = r.integer_or("topk_group", 1);
    if (c.topk_method == TopkMethod::Greedy) {
      c.n_expert_groups = 1;  // plain top-k over all experts; n_group/topk_group are not used
      c.n_limited_groups = 1;
    }
    if (c.n_expert_groups <= 0 || c.n_routed_experts % c.n_expert_groups)
      r.fail("n_group", "must divide n_routed_experts (" + std::to_string(c.n_routed_experts) + ")");
    if (c.n_limited_groups <= 0 || c.n_limited_groups > c.n_expert_groups)
      r.fail("topk_group", "must be between 1 and n_group (" + std::to_string(c.n_expert_groups) + ")");
    if (c.topk_method == TopkMethod::NoauxTc) {
      if (c.score_func != ScoreFunc::Sigmoid) r.fail("topk_method", "noaux_tc needs scoring_func sigmoid");
      if (c.n_routed_experts / c.n_expert_groups < 2) r.fail("n_group", "noaux_tc needs at least 2 experts per group");
    }
    if (c.n_activated_experts > c.n_limited_groups * (c.n_routed_experts / c.n_expert_groups))
      r.fail("num_experts_per_tok", "exceeds the experts in topk_group groups");
    c.norm_topk_prob = r.boolean_or("norm_topk_prob", false);
    c.route_scale = r.number_or("routed_scaling_factor", 1.0);
    if (c.n_dense_layers < 0) r.fail("first_k_dense_replace", "must not be negative");
  }
  if (!r.null_or_absent("rope_scaling")) {
    const json& rs = j["rope_scaling"];
    require(rs.is_object(), r.src + ": key 'rope_scaling' must be an object or null");
    Reader y{rs, r.src};
    const std::string type = rs.contains("type") ? y.string("type") : y.string("rope_type");
    if (type != "yarn")
      throw Error(r.src + ": key 'rope_scaling.type' is '" + type + "'; only yarn is supported for DeepSeek models");
    c.yarn.enabled = true;
    c.yarn.factor = y.number("factor");
    c.yarn.original_seq_len = y.integer("original_max_position_embeddings");
    if (c.yarn.original_seq_len <= 0) y.fail("rope_scaling.original_max_position_embeddings", "must be positive");
    c.yarn.beta_fast = y.number_or("beta_fast", 32.0);
    c.yarn.beta_slow = y.number_or("beta_slow", 1.0);
    c.yarn.mscale = y.number_or("mscale", 1.0);
    c.yarn.mscale_all_dim = y.number_or("mscale_all_dim", 0.0);
    if (c.yarn.factor < 1.0) y.fail("rope_scaling.factor", "must be at least 1");
  }
  c.n_mtp_layers = r.integer_or("num_nextn_predict_layers", 0);
}

// Grouped-query attention with a dense SwiGLU MLP: Qwen2ForCausalLM and LlamaForCausalLM (the R1-Distill
// families). Rotary channels are paired as halves, as Hugging Face's rotate_half does.
void parse_gqa(const Reader& r, ModelConfig& c) {
  const bool qwen2 = c.architecture == "Qwen2ForCausalLM";
  c.attn = AttnKind::GQA;
  c.rope_style = RopeStyle::NeoX;
  c.n_kv_heads = r.null_or_absent("num_key_value_heads") ? c.n_heads : r.positive("num_key_value_heads");
  if (c.n_heads % c.n_kv_heads)
    r.fail("num_key_value_heads", "must divide num_attention_heads (" + std::to_string(c.n_heads) + ")");
  if (r.null_or_absent("head_dim")) {
    if (c.dim % c.n_heads) r.fail("num_attention_heads", "must divide hidden_size (or give head_dim)");
    c.head_dim = c.dim / c.n_heads;
  } else {
    c.head_dim = r.positive("head_dim");
  }
  if (c.head_dim % 2) r.fail("head_dim", "must be even (RoPE rotates pairs)");
  c.qkv_bias = qwen2 ? true : r.boolean_or("attention_bias", false);
  if (r.boolean_or("mlp_bias", false)) r.fail("mlp_bias", "is true; MLP biases are not implemented");
  if (qwen2 && r.boolean_or("use_sliding_window", false))
    r.fail("use_sliding_window", "is true; sliding-window attention is not implemented");
  if (!r.null_or_absent("rope_scaling")) {
    const json& rs = r.j["rope_scaling"];
    require(rs.is_object(), r.src + ": key 'rope_scaling' must be an object or null");
    Reader y{rs, r.src};
    const std::string type = rs.contains("rope_type") ? y.string("rope_type") : y.string("type");
    if (type == "default") return;
    if (type != "llama3")
      throw Error(r.src + ": key 'rope_scaling.rope_type' is '" + type + "'; only llama3 (or default) is supported for " +
                  c.architecture);
    Llama3RopeConfig& l = c.llama3;
    l.enabled = true;
    l.factor = y.number("factor");
    l.low_freq_factor = y.number("low_freq_factor");
    l.high_freq_factor = y.number("high_freq_factor");
    l.original_seq_len = y.integer("original_max_position_embeddings");
    if (l.factor < 1.0) y.fail("rope_scaling.factor", "must be at least 1");
    if (l.original_seq_len <= 0) y.fail("rope_scaling.original_max_position_embeddings", "must be positive");
    if (!(l.high_freq_factor > l.low_freq_factor) || l.low_freq_factor <= 0.0)
      y.fail("rope_scaling.high_freq_factor", "must exceed low_freq_factor, which must be positive");
  }
}

}  // namespace

ModelConfig parse_model_config(const std::string& text, const std::string& src) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {
    throw Error(src + ": invalid JSON: " + e.what());
  }
  require(j.is_object(), src + ": not a JSON object");
  Reader r{j, src};
  ModelConfig c;
  const json& arch = r.at("architectures");
  require(arch.is_array() && !arch.empty() && arch[0].is_string(), src + ": key 'architectures' must be a list of names");
  c.architecture = arch[0].get<std::string>();
  const bool deepseek = c.architecture == "DeepseekV2ForCausalLM" || c.architecture == "DeepseekV3ForCausalLM";
  const bool gqa = c.architecture == "Qwen2ForCausalLM" || c.architecture == "LlamaForCausalLM";
  require(deepseek || gqa, src + ": unsupported architecture '" + c.architecture +
                               "' (supported: DeepseekV2ForCausalLM, DeepseekV3ForCausalLM, Qwen2ForCausalLM, "
                               "LlamaForCausalLM)");

  c.vocab_size = r.positive("vocab_size");
  c.dim = r.positive("hidden_size");
  c.inter_dim = r.positive("intermediate_size");
  c.n_layers = r.positive("num_hidden_layers");
  c.n_heads = r.positive("num_attention_heads");
  if (!r.null_or_absent("hidden_act") && r.string("hidden_act") != "silu")
    r.fail("hidden_act", "is '" + r.string("hidden_act") + "'; only silu (SwiGLU) is implemented");
  if (deepseek) parse_deepseek(r, c);
  else parse_gqa(r, c);

  c.rope_theta = r.number("rope_theta");
  if (c.rope_theta <= 1.0) r.fail("rope_theta", "must be greater than 1");
  c.rms_norm_eps = r.number("rms_norm_eps");
  c.max_seq_len = r.positive("max_position_embeddings");
  c.tie_word_embeddings = r.boolean_or("tie_word_embeddings", false);
  c.bos_token_id = r.integer_or("bos_token_id", -1);
  c.eos_token_id = r.integer_or("eos_token_id", -1);
  if (c.eos_token_id >= c.vocab_size) r.fail("eos_token_id", "is not below vocab_size");

  if (!r.null_or_absent("quantization_config")) {
    const json& q = j["quantization_config"];
    require(q.is_object(), src + ": key 'quantization_config' must be an object");
    Reader qr{q, src};
    const std::string method = qr.string("quant_method");
    if (method != "fp8") throw Error(src + ": key 'quantization_config.quant_method' is '" + method + "'; only fp8 is supported");
    if (q.contains("fmt") && qr.string("fmt") != "e4m3")
      throw Error(src + ": key 'quantization_config.fmt' must be e4m3");
    const json& bs = qr.at("weight_block_size");
    require(bs.is_array() && bs.size() == 2 && bs[0].is_number_integer() && bs[1].is_number_integer() &&
                bs[0].get<int64_t>() > 0 && bs[1].get<int64_t>() > 0,
            src + ": key 'quantization_config.weight_block_size' must be two positive integers");
    c.fp8 = true;
    c.fp8_block_out = bs[0].get<int64_t>();
    c.fp8_block_in = bs[1].get<int64_t>();
  }
  return c;
}

ModelConfig load_model_config(const std::string& dir) {
  const std::string path = dir + "/config.json";
  return parse_model_config(read_file(path), path);
}

}  // namespace r1
