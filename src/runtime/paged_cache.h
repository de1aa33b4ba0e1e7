// Paged latent KV cache shared by many sequences (the server). The pool holds fixed-size pages, each the
// latent rows (kv_lora_rank + qk_rope_head_dim values, in the pool's storage type: kernels/cache_row.h) of
// `page_tokens` positions for every layer. A sequence
// owns a page table; full pages of a prompt are registered in a prefix index under the hash of all tokens
// up to the page's end, so a later prompt with the same prefix (a shared system prompt) maps the same pages
// instead of recomputing them. Pages are reference counted; unreferenced indexed pages stay cached until the
// pool needs them (least recently used first). With extra layers (the MTP module's), a page's last MTP row depends
// on the token after the page, so the index key also covers that one token.
#pragma once

#include <cstdint>
#include <list>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "model/config.h"
#include "model/latent_cache.h"

namespace r1 {

class PagePool {
 public:
  // type: the rows' storage type, F32, BF16 or F8_E4M3 (else r1::Error).
  PagePool(const ModelConfig& c, int64_t n_pages, int64_t page_tokens = 16, int64_t extra_layers = 0,
           DType type = DType::F32);

  int64_t page_tokens() const { return page_tokens_; }
  const CacheRowFormat& format() const { return format_; }
  int64_t width() const { return format_.width; }
  int64_t bytes_per_token() const { return n_layers_ * format_.bytes(); }  // all layers
  int64_t allocated_bytes() const { return int64_t(data_.size()); }
  int64_t n_pages() const { return n_pages_; }
  int64_t lookahead() const { return lookahead_; }  // tokens after a page its index key covers
  int64_t free_pages() const;      // never used or evictable
  uint8_t* row_bytes(int32_t page, int64_t layer, int64_t slot) {
    return &data_[size_t(((int64_t(page) * n_layers_ + layer) * page_tokens_ + slot) * format_.bytes())];
  }

  int32_t allocate();              // -1 when every page is referenced
  void retain(int32_t page);
  void release(int32_t page);
  // Prefix index: the page holding positions [k*P, (k+1)*P) of a prompt whose tokens 0..(k+1)*P-1 hash to h.
  int32_t lookup(uint64_t h);      // retains and returns the page, or -1
  void publish(uint64_t h, int32_t page);
  int64_t hits() const { return hits_; }

 private:
  int64_t n_layers_, page_tokens_, n_pages_, lookahead_;
  CacheRowFormat format_;
  std::vector<uint8_t> data_;      // (n_pages, n_layers, page_tokens, format_.bytes())
  std::vector<int32_t> refs_;
  std::vector<uint64_t> hash_of_;  // 0: not indexed
  std::vector<int32_t> never_used_;
  std::list<int32_t> lru_;         // unreferenced indexed pages, least recently used first
  std::unordered_map<int32_t, std::list<int32_t>::iterator> lru_pos_;
  std::unordered_map<uint64_t, int32_t> index_;
  int64_t hits_ = 0;
  mutable std::mutex mu_;
};

// One sequence's view of the pool, with room for `capacity` positions.
class PagedSequenceCache final : public LatentCache {
 public:
  PagedSequenceCache(PagePool& pool, int64_t capacity);
  ~PagedSequenceCache() override;
  PagedSequenceCache(const PagedSequenceCache&) = delete;
  PagedSequenceCache& operator=(const PagedSequenceCache&) = delete;

  uint8_t* row_bytes(int64_t layer, int64_t pos) override;
  const CacheRowFormat& format() const override { return pool_.format(); }
  int64_t capacity() const override { return capacity_; }

  // Maps cached pages for the longest page-aligned prefix of `tokens` (leaving at least one token to compute);
  // returns how many positions are already filled.
  int64_t attach_prefix(const std::vector<int32_t>& tokens);
  // After the prompt's positions are computed: registers its full pages in the prefix index.
  void publish_prefix(const std::vector<int32_t>& tokens);
  // Makes sure pages exist for positions < n; false when the pool is exhausted.
  bool reserve(int64_t n);

 private:
  PagePool& pool_;
  int64_t capacity_;
  std::vector<int32_t> pages_;
};

}  // namespace r1
