// A compiled PCRE2 pattern (UTF + Unicode properties, JIT) used by the pre-tokenizers. Patterns from
// tokenizer.json are written for Oniguruma (what Hugging Face's Rust tokenizers use); translate_oniguruma()
// adapts the difference that matters for them: Oniguruma's \s is exactly Unicode White_Space (U+0085 in,
// U+180E out) — PCRE2's \s under UCP is not.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace r1::tok {

std::string translate_oniguruma(const std::string& pattern);

class Regex {
 public:
  // Throws r1::Error naming the pattern and PCRE2's message (with the offset) if it does not compile.
  explicit Regex(const std::string& pattern);
  ~Regex();
  Regex(const Regex&) = delete;
  Regex& operator=(const Regex&) = delete;

  // All non-overlapping matches in s as [begin, end) byte offsets, left to right (empty matches skipped).
  std::vector<std::pair<size_t, size_t>> find_all(std::string_view s) const;
  const std::string& pattern() const { return pattern_; }

 private:
  std::string pattern_;
  void* code_ = nullptr;  // pcre2_code_8*
};

}  // namespace r1::tok
