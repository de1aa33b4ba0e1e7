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
  j["architectures"] = {"LlamaForCausalLM"};
  EXPECT_NE(error_of(j).find("unsupported architecture 'LlamaForCausalLM'"), std::string::npos);
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

}  // namespace
}  // namespace r1
