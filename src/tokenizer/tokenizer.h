// A Hugging Face tokenizer loaded from tokenizer.json (+ tokenizer_config.json when present), producing the
// same ids as the `tokenizers` library: added tokens are cut out first, then the normalizer, the
// pre-tokenizer and byte-level BPE by merge rank. Decoding maps byte-level tokens back to bytes and reads them
// as UTF-8 with U+FFFD for invalid sequences; StreamDecoder does that incrementally.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/added_tokens.h"
#include "tokenizer/bpe.h"
#include "tokenizer/normalizer.h"
#include "tokenizer/pretokenizer.h"

namespace r1::tok {

struct TokenizerConfig {  // from tokenizer_config.json
  std::string bos_token, eos_token, pad_token, unk_token;
  bool add_bos_token = false, add_eos_token = false;
  std::string chat_template;  // empty when none
};

class Tokenizer {
 public:
  // Loads DIR/tokenizer.json and, if present, DIR/tokenizer_config.json. Throws r1::Error naming the file and
  // the field for a missing or unknown model type, a bad merge, a regex PCRE2 rejects, an unsupported step.
  explicit Tokenizer(const std::string& dir);
  ~Tokenizer();

  // Exactly tokenizer.json's encoding (no BOS) unless add_bos; invalid UTF-8 input is an error.
  std::vector<int32_t> encode(std::string_view text, bool add_bos = false) const;
  // All tokens, special ones included unless skip_special; unknown ids are skipped.
  std::string decode(const std::vector<int32_t>& ids, bool skip_special = false) const;
  bool has_token(int32_t id) const;
  // The bytes token `id` stands for (byte-level decoded; added tokens give their content; "" for unknown ids).
  std::string token_bytes(int32_t id) const;
  // The token's string as stored in the vocabulary (byte-level alphabet) or the added token's content.
  std::string token_text(int32_t id) const;

  int32_t vocab_size() const { return vocab_size_; }  // 1 + the largest id
  int32_t bos_id() const { return bos_id_; }
  int32_t eos_id() const { return eos_id_; }
  int32_t token_id(const std::string& content) const;  // added token or vocab entry; -1 if absent
  bool is_special(int32_t id) const;
  const TokenizerConfig& config() const { return cfg_; }
  const AddedTokens& added() const { return added_; }

 private:
  void encode_text(std::string_view text, std::vector<int32_t>* out) const;

  std::unique_ptr<Bpe> bpe_;
  Normalizer norm_;
  std::unique_ptr<PreTokenizer> pre_;
  AddedTokens added_;
  TokenizerConfig cfg_;
  std::vector<std::string> id_to_token_;  // vocab strings (byte-level alphabet), "" for holes
  int32_t vocab_size_ = 0, bos_id_ = -1, eos_id_ = -1;
};

// Incremental decoding for streaming: push() returns the text that became complete; bytes of a UTF-8
// sequence split across tokens are held back until it completes; invalid bytes become U+FFFD.
class StreamDecoder {
 public:
  explicit StreamDecoder(const Tokenizer& t, bool skip_special = false) : t_(t), skip_special_(skip_special) {}
  std::string push(int32_t id);
  std::string flush();  // whatever is still held back (as U+FFFD)

 private:
  const Tokenizer& t_;
  bool skip_special_;
  std::string pending_;
};

// Reads bytes as UTF-8, replacing each maximal invalid subsequence by U+FFFD (= Rust's from_utf8_lossy).
// If hold_incomplete, a truncated but so far valid sequence at the end is left in *rest instead.
std::string utf8_lossy(std::string_view bytes, bool hold_incomplete = false, std::string* rest = nullptr);

// Copies tokenizer.json and tokenizer_config.json (those that exist) from folder `from` to folder `to`, atomically.
void copy_tokenizer_files(const std::string& from, const std::string& to);

}  // namespace r1::tok
