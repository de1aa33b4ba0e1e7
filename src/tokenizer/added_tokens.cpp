#include "tokenizer/added_tokens.h"

#include "core/error.h"
#include "tokenizer/byte_level.h"

namespace r1::tok {

namespace {

// Whitespace as Rust's char::is_whitespace (Unicode White_Space), for lstrip/rstrip.
bool is_space(uint32_t c) {
  return (c >= 9 && c <= 13) || c == 32 || c == 0x85 || c == 0xa0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200a) ||
         c == 0x2028 || c == 0x2029 || c == 0x202f || c == 0x205f || c == 0x3000;
}

// Code point ending at byte offset e (exclusive), or -1.
int32_t cp_before(std::string_view s, size_t e, size_t* start) {
  if (e == 0) return -1;
  size_t b = e - 1;
  while (b > 0 && (static_cast<unsigned char>(s[b]) & 0xc0) == 0x80) --b;
  size_t i = b;
  *start = b;
  return next_codepoint(s, &i);
}

bool is_word_char(int32_t c) {  // approximates Rust's is_alphanumeric || '_' for ASCII and beyond
  return c == '_' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
}

}  // namespace

void AddedTokens::load(const nlohmann::json& list, const std::string& where) {
  if (list.is_null()) return;
  require(list.is_array(), where + ": added_tokens must be a list");
  next_.assign(1, {});
  terminal_.assign(1, -1);
  for (const auto& j : list) {
    require(j.is_object() && j.contains("id") && j["id"].is_number_integer() && j.contains("content") &&
                j["content"].is_string(),
            where + ": every added token needs an integer 'id' and a string 'content'");
    AddedToken t;
    t.id = int32_t(j["id"].get<int64_t>());
    t.content = j["content"].get<std::string>();
    require(!t.content.empty(), where + ": added token " + std::to_string(t.id) + " has empty content");
    t.special = j.value("special", false);
    t.lstrip = j.value("lstrip", false);
    t.rstrip = j.value("rstrip", false);
    t.single_word = j.value("single_word", false);
    t.normalized = j.value("normalized", false);
    by_id_[t.id] = tokens_.size();
    int32_t node = 0;
    for (unsigned char c : t.content) {
      auto it = next_[size_t(node)].find(c);
      if (it == next_[size_t(node)].end()) {
        next_[size_t(node)][c] = int32_t(next_.size());
        node = int32_t(next_.size());
        next_.emplace_back();
        terminal_.push_back(-1);
      } else {
        node = it->second;
      }
    }
    terminal_[size_t(node)] = int32_t(tokens_.size());
    first_byte_[static_cast<unsigned char>(t.content[0])] = true;
    tokens_.push_back(std::move(t));
  }
}

const AddedToken* AddedTokens::by_id(int32_t id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &tokens_[it->second];
}

int32_t AddedTokens::id_of(const std::string& content) const {
  for (const auto& t : tokens_)
    if (t.content == content) return t.id;
  return -1;
}

AddedTokens::Match AddedTokens::find(std::string_view s, size_t from) const {
  for (size_t b = from; b < s.size(); ++b) {
    if (!first_byte_[static_cast<unsigned char>(s[b])]) continue;
    int32_t node = 0, best = -1;
    size_t best_e = 0;
    for (size_t e = b; e < s.size(); ++e) {
      auto it = next_[size_t(node)].find(static_cast<unsigned char>(s[e]));
      if (it == next_[size_t(node)].end()) break;
      node = it->second;
      if (terminal_[size_t(node)] >= 0) {
        best = terminal_[size_t(node)];
        best_e = e + 1;
      }
    }
    if (best < 0) continue;
    const AddedToken& t = tokens_[size_t(best)];
    if (t.single_word) {
      size_t st;
      const int32_t before = cp_before(s, b, &st);
      size_t i = best_e;
      const int32_t after = best_e < s.size() ? next_codepoint(s, &i) : -1;
      if (is_word_char(before) || is_word_char(after)) continue;
    }
    size_t mb = b, me = best_e;
    if (t.lstrip)
      for (size_t st; mb > from;) {
        const int32_t c = cp_before(s, mb, &st);
        if (c < 0 || !is_space(uint32_t(c))) break;
        mb = st;
      }
    if (t.rstrip)
      while (me < s.size()) {
        size_t i = me;
        const int32_t c = next_codepoint(s, &i);
        if (c < 0 || !is_space(uint32_t(c))) break;
        me = i;
      }
    return {mb, me, b, best_e, t.id};
  }
  return {std::string_view::npos, 0, 0, 0, -1};
}

std::vector<std::pair<std::string_view, int32_t>> AddedTokens::split(std::string_view text) const {
  std::vector<std::pair<std::string_view, int32_t>> out;
  size_t pos = 0;
  while (!tokens_.empty()) {
    const Match m = find(text, pos);
    if (m.b == std::string_view::npos) break;
    if (m.b > pos) out.emplace_back(text.substr(pos, m.b - pos), -1);
    out.emplace_back(std::string_view(), m.id);
    pos = m.e;
  }
  if (pos < text.size()) out.emplace_back(text.substr(pos), -1);
  return out;
}

}  // namespace r1::tok
