#include "runtime/kv_cache.h"

#include <gtest/gtest.h>

#include "model/init_checkpoint.h"

namespace r1 {
namespace {

TEST(LatentKVCache, HoldsExactlyTheLatentPerTokenPerLayer) {
  for (const std::string& name : init_config_names()) {
    const ModelConfig c = parse_model_config(init_config_json(name, false), name);
    const int64_t ctx = 37;
    LatentKVCache cache(c, ctx);
    // MLA: the latent and the rope key; GQA (R1-Distill families): keys and values of the KV heads.
    const int64_t per = c.attn == AttnKind::MLA ? c.kv_lora_rank + c.qk_rope_head_dim : 2 * c.n_kv_heads * c.head_dim;
    EXPECT_EQ(cache.width(), per) << name;
    EXPECT_EQ(cache.bytes_per_token_layer(), per * int64_t(sizeof(float))) << name;
    EXPECT_EQ(cache.bytes_per_token(), c.n_layers * per * int64_t(sizeof(float))) << name;
    EXPECT_EQ(cache.allocated_bytes(), ctx * cache.bytes_per_token()) << name;  // nothing else is stored
    EXPECT_EQ(cache.row(0, 1) - cache.row(0, 0), per);
    EXPECT_EQ(cache.row(1, 0) - cache.row(0, 0), ctx * per);
  }
}

// bf16 halves the bytes; fp8 stores one byte per value plus two f32 scales (latent, rope key) per row.
TEST(LatentKVCache, BytesPerTokenFollowTheStorageType) {
  for (const std::string& name : init_config_names()) {
    const ModelConfig c = parse_model_config(init_config_json(name, false), name);
    const int64_t ctx = 11, w = c.latent_cache_width();
    const LatentKVCache b16(c, ctx, 1, DType::BF16), f8(c, ctx, 1, DType::F8_E4M3);
    EXPECT_EQ(b16.bytes_per_token_layer(), 2 * w) << name;
    EXPECT_EQ(f8.bytes_per_token_layer(), w + 8) << name;
    EXPECT_EQ(b16.bytes_per_token(), (c.n_layers + 1) * 2 * w) << name;
    EXPECT_EQ(f8.allocated_bytes(), ctx * (c.n_layers + 1) * (w + 8)) << name;
    EXPECT_EQ(b16.dtype(), DType::BF16);
  }
  ModelConfig c;
  c.n_layers = 61;
  c.kv_lora_rank = 512;
  c.qk_rope_head_dim = 64;
  EXPECT_EQ(LatentKVCache(c, 1).bytes_per_token(), 61 * 576 * 4);  // DeepSeek-V3: 140.5 KB per token in f32
  EXPECT_EQ(LatentKVCache(c, 1, 0, DType::BF16).bytes_per_token(), 61 * 576 * 2);
  EXPECT_EQ(LatentKVCache(c, 1, 0, DType::F8_E4M3).bytes_per_token(), 61 * 584);
  EXPECT_THROW(LatentKVCache(c, 1, 0, DType::F16), Error);  // not a cache storage type
}

TEST(LatentKVCache, PublishedShapesGiveThePaperRatio) {
  // DeepSeek-V3: kv_lora 512 + rope 64 = 576 values vs 128 heads * (192 + 128) for MHA.
  ModelConfig c;
  c.n_layers = 1;
  c.kv_lora_rank = 512;
  c.qk_rope_head_dim = 64;
  LatentKVCache cache(c, 1);
  EXPECT_EQ(cache.width(), 576);
}

}  // namespace
}  // namespace r1
