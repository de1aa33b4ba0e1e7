// Byte-pair encoding by merge rank (= tokenizers' BPE model): a word starts as one symbol per character;
// repeatedly the adjacent pair with the lowest merge rank (leftmost among equals) is merged, until no pair
// has a merge. Results are cached per word.
#pragma once

#include <cstdint>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace r1::tok {

class Bpe {
 public:
  // Reads model.vocab and model.merges ("a b" strings or ["a", "b"] pairs). Throws r1::Error naming `where`
  // for a merge that names an unknown token or whose result is not in the vocabulary.
  Bpe(const nlohmann::json& model, const std::string& where);

  // Appends the ids of one pre-tokenized word.
  void encode_word(std::string_view word, std::vector<int32_t>* out) const;

  int32_t token_id(const std::string& s) const;  // -1 if absent
  size_t vocab_size() const { return vocab_.size(); }
  const std::unordered_map<std::string, int32_t>& vocab() const { return vocab_; }

 private:
  void merge_word(std::string_view word, std::vector<int32_t>* ids) const;

  std::unordered_map<std::string, int32_t> vocab_;
  struct Merge { int32_t rank, id; };
  std::unordered_map<uint64_t, Merge> merges_;  // (left id << 32 | right id) -> rank, merged id
  bool ignore_merges_ = false;
  int32_t unk_ = -1;
  mutable std::mutex cache_mu_;
  mutable std::unordered_map<std::string, std::vector<int32_t>> cache_;
};

}  // namespace r1::tok
