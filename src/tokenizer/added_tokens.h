// Added (special) tokens of tokenizer.json: cut out of raw text before pre-tokenization, leftmost match
// first and, among matches starting at the same place, the longest (= tokenizers' AddedVocabulary).
// Flags: lstrip / rstrip absorb the whitespace on that side into the token; single_word only matches when
// no word character touches the match.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace r1::tok {

struct AddedToken {
  int32_t id = -1;
  std::string content;
  bool special = false, lstrip = false, rstrip = false, single_word = false, normalized = false;
};

class AddedTokens {
 public:
  void load(const nlohmann::json& list, const std::string& where);
  // Splits text into segments: (text, -1) for ordinary text, ("", id) for an added token.
  std::vector<std::pair<std::string_view, int32_t>> split(std::string_view text) const;
  const AddedToken* by_id(int32_t id) const;
  const std::vector<AddedToken>& all() const { return tokens_; }
  int32_t id_of(const std::string& content) const;  // -1 if absent

 private:
  // A match of token t at [b, e) of text, or {npos, ...} when none starts at or after `from`.
  struct Match { size_t b, e, tb, te; int32_t id; };
  Match find(std::string_view text, size_t from) const;

  std::vector<AddedToken> tokens_;
  std::unordered_map<int32_t, size_t> by_id_;
  // Byte trie over the contents: node -> (byte -> child); terminal[node] = token index or -1.
  std::vector<std::unordered_map<uint8_t, int32_t>> next_;
  std::vector<int32_t> terminal_;
  bool first_byte_[256] = {};
};

}  // namespace r1::tok
