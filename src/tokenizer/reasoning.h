// Splits generated text into reasoning (inside <think>…</think>) and the answer, incrementally: push() takes
// text as it is decoded and returns what can already be attributed; a tag split across pushes is held back
// until it is complete. DeepSeek's API returns these as `reasoning_content` and `content`.
#pragma once

#include <string>
#include <string_view>

namespace r1::tok {

struct ReasoningDelta {
  std::string reasoning, content;
};

class ReasoningSplitter {
 public:
  // in_reasoning: generation starts inside <think> (the prompt already ended with "<think>\n", as R1's newer
  // chat template writes it).
  explicit ReasoningSplitter(bool in_reasoning = false, std::string open = "<think>", std::string close = "</think>");
  ReasoningDelta push(std::string_view text);
  ReasoningDelta finish();  // releases whatever was held back
  bool in_reasoning() const { return in_reasoning_; }

 private:
  void emit(std::string_view s, ReasoningDelta* d);
  bool in_reasoning_;
  bool strip_leading_ = false;  // drop the newlines right after </think>
  std::string open_, close_, held_;
};

// Whole-text convenience: the same split as pushing `text` at once and finishing.
ReasoningDelta split_reasoning(std::string_view text, bool in_reasoning = false);

}  // namespace r1::tok
