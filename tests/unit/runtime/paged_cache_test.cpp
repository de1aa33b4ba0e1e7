#include "runtime/paged_cache.h"

#include <gtest/gtest.h>

#include "model/init_checkpoint.h"

namespace r1 {
namespace {

ModelConfig cfg() { return parse_model_config(init_config_json("tiny-v3", false), "tiny-v3"); }

TEST(PagedCache, RowsAreDistinctAndPagesFreedOnDestruction) {
  const ModelConfig c = cfg();
  PagePool pool(c, 8, 4);
  {
    PagedSequenceCache s(pool, 32);
    ASSERT_TRUE(s.reserve(10));  // 3 pages
    EXPECT_EQ(pool.free_pages(), 5);
    EXPECT_EQ(s.width(), c.kv_lora_rank + c.qk_rope_head_dim);
    EXPECT_NE(s.row(0, 3), s.row(0, 4));
    EXPECT_EQ(s.row(1, 5) - s.row(1, 4), s.width());  // within a page, consecutive
    s.row(2, 9)[0] = 7.0f;
    EXPECT_EQ(s.row(2, 9)[0], 7.0f);
  }
  EXPECT_EQ(pool.free_pages(), 8);
}

TEST(PagedCache, StorageTypeSetsTheRowBytes) {
  const ModelConfig c = cfg();
  const int64_t w = c.kv_lora_rank + c.qk_rope_head_dim;
  PagePool f32(c, 2, 4), b16(c, 2, 4, 1, DType::BF16), f8(c, 2, 4, 0, DType::F8_E4M3);
  EXPECT_EQ(f32.bytes_per_token(), c.n_layers * w * 4);
  EXPECT_EQ(b16.bytes_per_token(), (c.n_layers + 1) * w * 2);  // with the MTP layer
  EXPECT_EQ(f8.bytes_per_token(), c.n_layers * (w + 8));
  EXPECT_EQ(f8.allocated_bytes(), 2 * 4 * f8.bytes_per_token());
  PagedSequenceCache s(b16, 8);
  ASSERT_TRUE(s.reserve(6));
  EXPECT_EQ(s.row_bytes(1, 5) - s.row_bytes(1, 4), 2 * w);
  EXPECT_EQ(s.dtype(), DType::BF16);
  EXPECT_THROW(s.row(0, 0), Error);  // float access is for f32 caches only
}

TEST(PagedCache, PrefixPagesAreSharedNotRecomputed) {
  const ModelConfig c = cfg();
  PagePool pool(c, 16, 4);
  const std::vector<int32_t> a = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  std::vector<int32_t> b = {1, 2, 3, 4, 5, 6, 7, 8, 42};
  {
    PagedSequenceCache s(pool, 32);
    EXPECT_EQ(s.attach_prefix(a), 0);
    ASSERT_TRUE(s.reserve(11));
    s.row(0, 5)[0] = 3.5f;
    s.publish_prefix(a);  // pages [0,4) and [4,8) are full prompt pages
    PagedSequenceCache t(pool, 32);
    EXPECT_EQ(t.attach_prefix(b), 8);  // both full pages reused, token 42 still to compute
    EXPECT_EQ(t.row(0, 5), s.row(0, 5));  // the same memory
    EXPECT_EQ(t.row(0, 5)[0], 3.5f);
  }
  // Released pages stay cached for the next prompt with that prefix.
  PagedSequenceCache u(pool, 32);
  EXPECT_EQ(u.attach_prefix(b), 8);
  std::vector<int32_t> d = b;
  d[2] = 99;  // a different token in the first page: nothing to reuse
  PagedSequenceCache v(pool, 32);
  EXPECT_EQ(v.attach_prefix(d), 0);
  EXPECT_GE(pool.hits(), 4);
}

TEST(PagedCache, EvictsCachedPagesWhenThePoolIsFull) {
  const ModelConfig c = cfg();
  PagePool pool(c, 4, 4);
  const std::vector<int32_t> a = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  {
    PagedSequenceCache s(pool, 16);
    ASSERT_TRUE(s.reserve(9));
    s.publish_prefix(a);
  }
  PagedSequenceCache big(pool, 16);
  EXPECT_TRUE(big.reserve(16));  // needs all 4 pages: the cached prefix pages are evicted
  PagedSequenceCache none(pool, 16);
  EXPECT_FALSE(none.reserve(1));
}

}  // namespace
}  // namespace r1
