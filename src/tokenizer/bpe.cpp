#include "tokenizer/bpe.h"

#include <queue>

#include "core/error.h"
#include "tokenizer/byte_level.h"

namespace r1::tok {

Bpe::Bpe(const nlohmann::json& m, const std::string& where) {
  require(m.contains("vocab") && m["vocab"].is_object(), where + ": model.vocab must be an object");
  vocab_.reserve(m["vocab"].size());
  for (auto it = m["vocab"].begin(); it != m["vocab"].end(); ++it) {
    require(it->is_number_integer() && it->get<int64_t>() >= 0, where + ": model.vocab['" + it.key() + "'] is not an id");
    vocab_[it.key()] = int32_t(it->get<int64_t>());
  }
  require(m.contains("merges") && m["merges"].is_array(), where + ": model.merges must be a list");
  const auto& merges = m["merges"];
  merges_.reserve(merges.size());
  int32_t rank = 0;
  for (const auto& e : merges) {
    std::string a, b;
    if (e.is_string()) {
      const std::string s = e.get<std::string>();
      const size_t sp = s.find(' ', 1);
      require(sp != std::string::npos, where + ": merge '" + s + "' is not of the form 'a b'");
      a = s.substr(0, sp);
      b = s.substr(sp + 1);
    } else if (e.is_array() && e.size() == 2 && e[0].is_string() && e[1].is_string()) {
      a = e[0].get<std::string>();
      b = e[1].get<std::string>();
    } else {
      throw Error(where + ": merge #" + std::to_string(rank) + " is neither 'a b' nor [a, b]");
    }
    const int32_t ia = token_id(a), ib = token_id(b), ic = token_id(a + b);
    require(ia >= 0, where + ": merge #" + std::to_string(rank) + " names unknown token '" + a + "'");
    require(ib >= 0, where + ": merge #" + std::to_string(rank) + " names unknown token '" + b + "'");
    require(ic >= 0, where + ": merge #" + std::to_string(rank) + " makes '" + a + b + "', which is not in the vocabulary");
    merges_.emplace((uint64_t(uint32_t(ia)) << 32) | uint32_t(ib), Merge{rank, ic});  // first occurrence wins
    ++rank;
  }
  ignore_merges_ = m.value("ignore_merges", false);
  if (m.contains("unk_token") && m["unk_token"].is_string()) unk_ = token_id(m["unk_token"].get<std::string>());
  // An empty prefix/suffix (Qwen2's tokenizer.json spells them "") is the same as none.
  for (const char* key : {"continuing_subword_prefix", "end_of_word_suffix"})
    if (m.contains(key) && !m[key].is_null() && !(m[key].is_string() && m[key].get<std::string>().empty()))
      throw Error(where + ": BPE " + key + " is not supported");
  if (m.value("byte_fallback", false)) throw Error(where + ": BPE byte_fallback is not supported");
}

int32_t Bpe::token_id(const std::string& s) const {
  auto it = vocab_.find(s);
  return it == vocab_.end() ? -1 : it->second;
}

void Bpe::merge_word(std::string_view word, std::vector<int32_t>* ids) const {
  // Symbols: one per UTF-8 character, in a doubly linked list.
  struct Sym { int32_t id; int32_t prev, next; };
  std::vector<Sym> sym;
  size_t i = 0;
  while (i < word.size()) {
    const size_t b = i;
    next_codepoint(word, &i);
    const int32_t id = token_id(std::string(word.substr(b, i - b)));
    if (id < 0) {
      if (unk_ < 0) throw Error("tokenizer: character '" + std::string(word.substr(b, i - b)) + "' is not in the vocabulary and there is no unk_token");
      if (!sym.empty() && sym.back().id == unk_) continue;  // consecutive unknowns fuse into one
    }
    sym.push_back({id < 0 ? unk_ : id, int32_t(sym.size()) - 1, int32_t(sym.size()) + 1});
  }
  if (!sym.empty()) sym.back().next = -1;
  struct Cand { int32_t rank, pos, left, right; };
  auto worse = [](const Cand& x, const Cand& y) { return x.rank != y.rank ? x.rank > y.rank : x.pos > y.pos; };
  std::priority_queue<Cand, std::vector<Cand>, decltype(worse)> q(worse);
  auto push = [&](int32_t pos) {
    if (pos < 0 || sym[size_t(pos)].next < 0) return;
    const int32_t l = sym[size_t(pos)].id, r = sym[size_t(sym[size_t(pos)].next)].id;
    auto it = merges_.find((uint64_t(uint32_t(l)) << 32) | uint32_t(r));
    if (it != merges_.end()) q.push({it->second.rank, pos, l, r});
  };
  for (int32_t p = 0; p < int32_t(sym.size()); ++p) push(p);
  while (!q.empty()) {
    const Cand c = q.top();
    q.pop();
    Sym& s = sym[size_t(c.pos)];
    if (s.id != c.left || s.next < 0 || sym[size_t(s.next)].id != c.right) continue;  // stale
    const int32_t right = s.next;
    s.id = merges_.at((uint64_t(uint32_t(c.left)) << 32) | uint32_t(c.right)).id;
    s.next = sym[size_t(right)].next;
    if (s.next >= 0) sym[size_t(s.next)].prev = c.pos;
    sym[size_t(right)].id = -2;  // dead
    push(s.prev);
    push(c.pos);
  }
  for (int32_t p = sym.empty() ? -1 : 0; p >= 0; p = sym[size_t(p)].next) ids->push_back(sym[size_t(p)].id);
}

void Bpe::encode_word(std::string_view word, std::vector<int32_t>* out) const {
  if (word.empty()) return;
  if (ignore_merges_) {
    const int32_t id = token_id(std::string(word));
    if (id >= 0) {
      out->push_back(id);
      return;
    }
  }
  const std::string key(word);
  {
    std::lock_guard<std::mutex> lock(cache_mu_);
    auto it = cache_.find(key);
    if (it != cache_.end()) {
      out->insert(out->end(), it->second.begin(), it->second.end());
      return;
    }
  }
  std::vector<int32_t> ids;
  merge_word(word, &ids);
  out->insert(out->end(), ids.begin(), ids.end());
  std::lock_guard<std::mutex> lock(cache_mu_);
  if (cache_.size() > 200000) cache_.clear();  // bound memory on adversarial input
  cache_.emplace(key, std::move(ids));
}

}  // namespace r1::tok
