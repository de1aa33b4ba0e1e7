// add_absorb_layout: the transposed copy of W_UK that lets the absorbed attention fold the query in with the
// row kernels. Exact (a copy, element for element) where it is made, absent where it would not be exact.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "model/mla.h"

namespace r1 {
namespace {

TEST(AbsorbLayout, Bf16KRowsAreTransposedPerHeadAndQuantizedWeightsGetNone) {
  ModelConfig c;
  c.n_heads = 3;
  c.qk_nope_head_dim = 5;
  c.v_head_dim = 4;
  c.kv_lora_rank = 7;
  const int64_t per_head = c.qk_nope_head_dim + c.v_head_dim, rows = c.n_heads * per_head;
  std::vector<uint16_t> w(size_t(rows * c.kv_lora_rank));
  for (size_t i = 0; i < w.size(); ++i) w[i] = uint16_t(i * 37 + 11);  // distinct values
  MLAWeights a;
  a.wkv_b.dtype = DType::BF16;
  a.wkv_b.rows = rows;
  a.wkv_b.cols = c.kv_lora_rank;
  a.wkv_b.data = reinterpret_cast<const uint8_t*>(w.data());
  add_absorb_layout(c, a);
  ASSERT_FALSE(a.wkv_b_kt.empty());
  EXPECT_EQ(a.wkv_b_kt.dtype, DType::BF16);
  EXPECT_EQ(a.wkv_b_kt.rows, c.n_heads * c.kv_lora_rank);
  EXPECT_EQ(a.wkv_b_kt.cols, c.qk_nope_head_dim);
  const auto* kt = reinterpret_cast<const uint16_t*>(a.wkv_b_kt.data);
  for (int64_t h = 0; h < c.n_heads; ++h)
    for (int64_t j = 0; j < c.kv_lora_rank; ++j)
      for (int64_t d = 0; d < c.qk_nope_head_dim; ++d)
        EXPECT_EQ(kt[(h * c.kv_lora_rank + j) * c.qk_nope_head_dim + d], w[size_t((h * per_head + d) * c.kv_lora_rank + j)])
            << "head " << h << " latent " << j << " nope " << d;

  a.wkv_b.dtype = DType::Q8;  // a quantized wkv_b: a transposed copy would need requantizing, so none is made
  add_absorb_layout(c, a);
  EXPECT_TRUE(a.wkv_b_kt.empty());
}

}  // namespace
}  // namespace r1
