#include "runtime/paged_cache.h"

#include <algorithm>

#include "core/error.h"

namespace r1 {

namespace {

// FNV-1a over token ids, chained across pages; never 0.
uint64_t extend_hash(uint64_t h, const int32_t* t, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    uint32_t v = uint32_t(t[i]);
    for (int b = 0; b < 4; ++b) {
      h ^= (v >> (8 * b)) & 0xff;
      h *= 0x100000001b3ull;
    }
  }
  return h ? h : 1;
}

}  // namespace

PagePool::PagePool(const ModelConfig& c, int64_t n_pages, int64_t page_tokens, int64_t extra_layers, DType type)
    : n_layers_(c.n_layers + extra_layers),
      page_tokens_(page_tokens),
      n_pages_(n_pages),
      lookahead_(extra_layers > 0 ? 1 : 0),
      format_(cache_row_format(c, type)) {
  require(n_pages > 0 && page_tokens > 0, "page pool needs pages");
  data_.assign(size_t(n_pages * n_layers_ * page_tokens * format_.bytes()), 0);
  refs_.assign(size_t(n_pages), 0);
  hash_of_.assign(size_t(n_pages), 0);
  for (int32_t p = int32_t(n_pages) - 1; p >= 0; --p) never_used_.push_back(p);
}

int64_t PagePool::free_pages() const {
  std::lock_guard<std::mutex> l(mu_);
  return int64_t(never_used_.size() + lru_.size());
}

int32_t PagePool::allocate() {
  std::lock_guard<std::mutex> l(mu_);
  int32_t p = -1;
  if (!never_used_.empty()) {
    p = never_used_.back();
    never_used_.pop_back();
  } else if (!lru_.empty()) {  // evict the least recently used cached prefix page
    p = lru_.front();
    lru_.pop_front();
    lru_pos_.erase(p);
    index_.erase(hash_of_[size_t(p)]);
    hash_of_[size_t(p)] = 0;
  } else {
    return -1;
  }
  refs_[size_t(p)] = 1;
  return p;
}

void PagePool::retain(int32_t p) {
  std::lock_guard<std::mutex> l(mu_);
  if (refs_[size_t(p)]++ == 0) {
    auto it = lru_pos_.find(p);
    if (it != lru_pos_.end()) {
      lru_.erase(it->second);
      lru_pos_.erase(it);
    }
  }
}

void PagePool::release(int32_t p) {
  std::lock_guard<std::mutex> l(mu_);
  if (--refs_[size_t(p)] > 0) return;
  if (hash_of_[size_t(p)] != 0) {
    lru_.push_back(p);
    lru_pos_[p] = std::prev(lru_.end());
  } else {
    never_used_.push_back(p);
  }
}

int32_t PagePool::lookup(uint64_t h) {
  int32_t p;
  {
    std::lock_guard<std::mutex> l(mu_);
    auto it = index_.find(h);
    if (it == index_.end()) return -1;
    p = it->second;
    ++hits_;
  }
  retain(p);
  return p;
}

void PagePool::publish(uint64_t h, int32_t p) {
  std::lock_guard<std::mutex> l(mu_);
  if (hash_of_[size_t(p)] != 0 || index_.count(h)) return;  // already indexed (or an equal page is)
  hash_of_[size_t(p)] = h;
  index_[h] = p;
}

PagedSequenceCache::PagedSequenceCache(PagePool& pool, int64_t capacity) : pool_(pool), capacity_(capacity) {}

PagedSequenceCache::~PagedSequenceCache() {
  for (int32_t p : pages_) pool_.release(p);
}

uint8_t* PagedSequenceCache::row_bytes(int64_t layer, int64_t pos) {
  const int64_t P = pool_.page_tokens();
  const size_t k = size_t(pos / P);
  // (Not require(): its message would be built on every call, and attention calls this per cached row.)
  if (k >= pages_.size()) throw Error("internal: cache position " + std::to_string(pos) + " has no page");
  return pool_.row_bytes(pages_[k], layer, pos % P);
}

bool PagedSequenceCache::reserve(int64_t n) {
  const int64_t P = pool_.page_tokens();
  while (int64_t(pages_.size()) * P < n) {
    const int32_t p = pool_.allocate();
    if (p < 0) return false;
    pages_.push_back(p);
  }
  return true;
}

int64_t PagedSequenceCache::attach_prefix(const std::vector<int32_t>& tokens) {
  const int64_t P = pool_.page_tokens();
  uint64_t h = 0xcbf29ce484222325ull;
  int64_t done = 0;
  require(pages_.empty(), "internal: attach_prefix on a sequence that already has pages");
  const int64_t L = pool_.lookahead();
  while (done + P + std::max<int64_t>(L, 1) <= int64_t(tokens.size())) {  // keep a token to compute logits from
    h = extend_hash(h, tokens.data() + done, P);
    const int32_t p = pool_.lookup(L ? extend_hash(h, tokens.data() + done + P, L) : h);
    if (p < 0) break;
    pages_.push_back(p);
    done += P;
  }
  return done;
}

void PagedSequenceCache::publish_prefix(const std::vector<int32_t>& tokens) {
  const int64_t P = pool_.page_tokens();
  uint64_t h = 0xcbf29ce484222325ull;
  const int64_t L = pool_.lookahead();
  for (int64_t k = 0; (k + 1) * P + L <= int64_t(tokens.size()) && k < int64_t(pages_.size()); ++k) {
    h = extend_hash(h, tokens.data() + k * P, P);
    pool_.publish(L ? extend_hash(h, tokens.data() + (k + 1) * P, L) : h, pages_[size_t(k)]);
  }
}

}  // namespace r1
