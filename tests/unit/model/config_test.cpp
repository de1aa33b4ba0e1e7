#include "model/config.h"

#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "model/init_checkpoint.h"
#include "model/rope_yarn.h"

namespace r1 {
namespace {

nlohmann::json tiny(const std::string& name) { return nlohmann::json::parse(init_config_json(name, false)); }

std::string error_of(const nlohmann::json& j) {
  try {
    parse_model_config(j.dump(), "config.json");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Config, ReadsTheTinyVariants) {
  const ModelConfig lite = parse_model_config(init_config_json("tiny-v2-lite", false), "lite");
  EXPECT_EQ(lite.q_lora_rank, 0);
  EXPECT_EQ(lite.score_func, ScoreFunc::Softmax);
  EXPECT_EQ(lite.topk_method, TopkMethod::Greedy);
  EXPECT_TRUE(lite.yarn.enabled);
  const ModelConfig v3 = parse_model_config(init_config_json("tiny-v3", true), "v3");
  EXPECT_EQ(v3.architecture, "DeepseekV3ForCausalLM");
  EXPECT_EQ(v3.topk_method, TopkMethod::NoauxTc);
  EXPECT_TRUE(v3.fp8);
  EXPECT_EQ(v3.fp8_block_in, 128);
  EXPECT_EQ(v3.n_mtp_layers, 1);
  EXPECT_FALSE(v3.is_moe_layer(0));
  EXPECT_TRUE(v3.is_moe_layer(1));
}

TEST(Config, MissingKeyIsNamed) {
  for (const char* key : {"kv_lora_rank", "qk_rope_head_dim", "num_experts_per_tok", "rope_theta", "q_lora_rank"}) {
    auto j = tiny("tiny-v3");
    j.erase(key);
    EXPECT_NE(error_of(j).find(std::string("key '") + key + "' is missing"), std::string::npos) << key;
  }
}

TEST(Config, WrongTypeOrContradictionIsNamed) {
  auto j = tiny("tiny-v2");
  j["n_group"] = 3;  // 16 experts do not split into 3 groups
  EXPECT_NE(error_of(j).find("key 'n_group' must divide n_routed_experts"), std::string::npos);
  j = tiny("tiny-v2");
  j["topk_group"] = 9;
  EXPECT_NE(error_of(j).find("key 'topk_group'"), std::string::npos);
  j = tiny("tiny-v3");
  j["scoring_func"] = "softmax";  // noaux_tc is defined for sigmoid scores
  EXPECT_NE(error_of(j).find("noaux_tc needs scoring_func sigmoid"), std::string::npos);
  j = tiny("tiny-v3");
  j["hidden_size"] = "200";
  EXPECT_NE(error_of(j).find("key 'hidden_size' must be an integer"), std::string::npos);
  j = tiny("tiny-v3");
  j["num_experts_per_tok"] = 17;
  EXPECT_NE(error_of(j).find("key 'num_experts_per_tok' exceeds n_routed_experts"), std::string::npos);
  j = tiny("tiny-v3");
  j["rope_scaling"]["type"] = "linear";
  EXPECT_NE(error_of(j).find("rope_scaling.type"), std::string::npos);
}

TEST(Config, UnknownArchitecture) {
  auto j = tiny("tiny-v3");
  j["architectures"] = {"MistralForCausalLM"};
  EXPECT_NE(error_of(j).find("unsupported architecture 'MistralForCausalLM'"), std::string::npos);
}

TEST(Config, ReadsTheDistillFamilies) {
  const ModelConfig q = parse_model_config(init_config_json("tiny-qwen2", false), "qwen2");
  EXPECT_EQ(q.attn, AttnKind::GQA);
  EXPECT_EQ(q.rope_style, RopeStyle::NeoX);
  EXPECT_EQ(q.n_kv_heads, 2);
  EXPECT_EQ(q.head_dim, 32);  // hidden_size / num_attention_heads
  EXPECT_TRUE(q.qkv_bias);    // Qwen2 always has q/k/v biases
  EXPECT_TRUE(q.tie_word_embeddings);
  EXPECT_EQ(q.latent_cache_width(), 2 * 2 * 32);  // keys and values of the two KV heads
  EXPECT_FALSE(q.is_moe_layer(0));
  const ModelConfig l = parse_model_config(init_config_json("tiny-llama", false), "llama");
  EXPECT_EQ(l.head_dim, 16);  // given explicitly
  EXPECT_FALSE(l.qkv_bias);
  EXPECT_TRUE(l.llama3.enabled);
  EXPECT_EQ(l.llama3.original_seq_len, 64);
  EXPECT_DOUBLE_EQ(l.softmax_scale(), 0.25);  // 16^-0.5, no YaRN factor
  EXPECT_EQ(l.rope_dim(), 16);
}

TEST(Config, DistillFamilyErrorsAreNamed) {
  auto j = tiny("tiny-qwen2");
  j["num_key_value_heads"] = 3;
  EXPECT_NE(error_of(j).find("key 'num_key_value_heads' must divide num_attention_heads"), std::string::npos);
  j = tiny("tiny-qwen2");
  j["use_sliding_window"] = true;
  EXPECT_NE(error_of(j).find("sliding-window attention is not implemented"), std::string::npos);
  j = tiny("tiny-llama");
  j["rope_scaling"]["rope_type"] = "dynamic";
  EXPECT_NE(error_of(j).find("only llama3 (or default) is supported for LlamaForCausalLM"), std::string::npos);
  j = tiny("tiny-llama");
  j["rope_scaling"].erase("low_freq_factor");
  EXPECT_NE(error_of(j).find("key 'low_freq_factor' is missing"), std::string::npos);
  j = tiny("tiny-llama");
  j["mlp_bias"] = true;
  EXPECT_NE(error_of(j).find("key 'mlp_bias'"), std::string::npos);
  j = tiny("tiny-llama");
  j["hidden_act"] = "gelu";
  EXPECT_NE(error_of(j).find("only silu"), std::string::npos);
}

TEST(Config, Llama3RopeScalingBands) {
  // Llama 3.1's settings: theta 500000, head_dim 128, factor 8, low 1, high 4, original 8192.
  ModelConfig c;
  c.attn = AttnKind::GQA;
  c.head_dim = 128;
  c.rope_theta = 500000.0;
  c.llama3 = {true, 8.0, 1.0, 4.0, 8192};
  const auto f = rope_inv_freq(c);
  for (size_t i = 0; i < f.size(); ++i) {
    const double base = std::pow(500000.0, -2.0 * double(i) / 128.0), wavelen = 2 * M_PI / base;
    if (wavelen < 8192.0 / 4.0) EXPECT_DOUBLE_EQ(f[i], base) << i;               // high frequencies kept
    else if (wavelen > 8192.0) EXPECT_DOUBLE_EQ(f[i], base / 8.0) << i;          // low ones interpolated
    else EXPECT_TRUE(f[i] < base && f[i] > base / 8.0) << i;                     // blended between
  }
}

TEST(Config, YarnMatchesTheFormula) {
  // DeepSeek-V3's published rope settings: d = 64, base 10000, factor 40, orig 4096, beta 32/1.
  ModelConfig c;
  c.qk_rope_head_dim = 64;
  c.rope_theta = 10000.0;
  c.yarn = {true, 40.0, 4096, 32.0, 1.0, 1.0, 1.0};
  const auto f = rope_inv_freq(c);
  // low = floor(64 ln(4096/(32*2pi)) / (2 ln 1e4)) = 10, high = ceil(64 ln(4096/2pi) / (2 ln 1e4)) = 23
  EXPECT_DOUBLE_EQ(f[5], std::pow(1e4, -10.0 / 64));               // below low: unchanged
  EXPECT_DOUBLE_EQ(f[30], std::pow(1e4, -60.0 / 64) / 40.0);       // above high: divided by the factor
  const double ramp = (15.0 - 10.0) / 13.0;
  const double base15 = std::pow(1e4, -30.0 / 64);
  EXPECT_NEAR(f[15], base15 / 40.0 * ramp + base15 * (1 - ramp), 1e-15);
  c.qk_nope_head_dim = 128;
  EXPECT_NEAR(c.softmax_scale(), std::pow(192.0, -0.5) * std::pow(0.1 * std::log(40.0) + 1.0, 2), 1e-12);
}

TEST(Rope, TabledAndComputedPositionsRotateAlike) {
  // Positions below the cos / sin table's end read it, later ones compute the angles; both must be the
  // rotation by pos * inv_freq (interleaved pairs), for the table's last position and the first one past it.
  ModelConfig c;
  c.qk_rope_head_dim = 8;
  c.rope_theta = 10000.0;
  c.max_seq_len = 1 << 20;
  const Rope rope(c);
  const auto f = rope_inv_freq(c);
  for (int64_t pos : {0, 1, 4095, 4096, 100000}) {
    float x[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    rope.apply(x, pos);
    for (int i = 0; i < 4; ++i) {
      const double a = double(pos) * f[size_t(i)], x0 = 2 * i + 1, x1 = 2 * i + 2;
      const double want0 = x0 * double(float(std::cos(a))) - x1 * double(float(std::sin(a)));
      const double want1 = x0 * double(float(std::sin(a))) + x1 * double(float(std::cos(a)));
      const double tol = 3 * 16 * 0x1p-24;  // two f32 products and a sum of magnitude <= 16: three roundings
      EXPECT_NEAR(x[2 * i], want0, tol) << pos << " " << i;
      EXPECT_NEAR(x[2 * i + 1], want1, tol) << pos << " " << i;
    }
  }
}

}  // namespace
}  // namespace r1
