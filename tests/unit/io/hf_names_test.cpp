#include "io/hf_names.h"

#include <gtest/gtest.h>

#include "core/error.h"

namespace r1 {
namespace {

TEST(HfNames, TranslatesBothWays) {
  const std::pair<const char*, const char*> cases[] = {
      {"embed", "model.embed_tokens.weight"},
      {"head", "lm_head.weight"},
      {"layers.0.attn.wkv_a", "model.layers.0.self_attn.kv_a_proj_with_mqa.weight"},
      {"layers.12.attn.wkv_b.scale", "model.layers.12.self_attn.kv_b_proj.weight_scale_inv"},
      {"layers.3.ffn.experts.41.w2", "model.layers.3.mlp.experts.41.down_proj.weight"},
      {"layers.3.ffn.gate.bias", "model.layers.3.mlp.gate.e_score_correction_bias"},
      {"layers.61.mtp.eh_proj", "model.layers.61.eh_proj.weight"},
  };
  for (const auto& [ours, hf] : cases) {
    EXPECT_EQ(hf_name(ours), hf);
    EXPECT_EQ(our_name(hf), ours);
  }
  EXPECT_EQ(our_name("model.layers.x.foo"), "");
  EXPECT_THROW(hf_name("layers.1.attn.nonsense"), Error);
}

}  // namespace
}  // namespace r1
