// Pre-tokenizers of tokenizer.json: each step splits every piece of text further (Sequence runs them in
// order). Supported: Sequence, Split (Regex or String pattern; behaviours Isolated, Removed,
// MergedWithPrevious, MergedWithNext, Contiguous; invert), ByteLevel (optional GPT-2 regex, add_prefix_space;
// maps bytes to the byte-level alphabet), Digits (individual_digits). Anything else is a clear error.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace r1::tok {

class PreTokenizer {
 public:
  virtual ~PreTokenizer() = default;
  // Splits each piece; pieces stay UTF-8 text until a ByteLevel step maps them to the byte alphabet.
  virtual void split(std::vector<std::string>* pieces) const = 0;
  // True when this step maps bytes to the byte-level alphabet (BPE then works on mapped text).
  virtual bool byte_level() const { return false; }
};

// Builds the pre-tokenizer described by tokenizer.json's "pre_tokenizer" (null -> nullptr).
// `where` names the file for errors.
std::unique_ptr<PreTokenizer> make_pre_tokenizer(const nlohmann::json& j, const std::string& where);

}  // namespace r1::tok
