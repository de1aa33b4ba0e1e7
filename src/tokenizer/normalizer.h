// Unicode normalization for tokenizer.json's "normalizer" (only NFC is used by the byte-level BPE
// tokenizers r1 serves: Qwen2's, hence DeepSeek-R1-Distill-Qwen's). NFC = canonical decomposition,
// canonical ordering of combining marks, canonical composition (Unicode Standard Annex #15), from tables
// generated out of the Unicode Character Database (tools/unicode/gen_nfc.py -> unicode_nfc.inc).
#pragma once

#include <string>
#include <string_view>

namespace r1::tok {

// NFC of valid UTF-8 text (ASCII text is returned unchanged without work).
std::string nfc(std::string_view text);

// A tokenizer.json normalizer: none, NFC, or a Sequence of those. Anything else is an error naming it.
class Normalizer {
 public:
  Normalizer() = default;
  bool active() const { return nfc_; }
  std::string apply(std::string_view text) const { return nfc_ ? nfc(text) : std::string(text); }
  void set_nfc() { nfc_ = true; }

 private:
  bool nfc_ = false;
};

}  // namespace r1::tok
