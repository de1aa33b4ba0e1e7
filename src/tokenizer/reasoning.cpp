#include "tokenizer/reasoning.h"

namespace r1::tok {

ReasoningSplitter::ReasoningSplitter(bool in_reasoning, std::string open, std::string close)
    : in_reasoning_(in_reasoning), open_(std::move(open)), close_(std::move(close)) {}

void ReasoningSplitter::emit(std::string_view s, ReasoningDelta* d) {
  if (in_reasoning_) {
    d->reasoning.append(s);
    return;
  }
  if (strip_leading_) {
    while (!s.empty() && (s.front() == '\n' || s.front() == '\r')) s.remove_prefix(1);
    if (s.empty()) return;
    strip_leading_ = false;
  }
  d->content.append(s);
}

ReasoningDelta ReasoningSplitter::push(std::string_view text) {
  ReasoningDelta d;
  std::string buf = held_ + std::string(text);
  held_.clear();
  size_t pos = 0;
  while (pos < buf.size()) {
    const std::string& tag = in_reasoning_ ? close_ : open_;
    const size_t hit = buf.find(tag, pos);
    if (hit != std::string::npos) {
      emit(std::string_view(buf).substr(pos, hit - pos), &d);
      pos = hit + tag.size();
      in_reasoning_ = !in_reasoning_;
      if (!in_reasoning_) strip_leading_ = true;
      continue;
    }
    // Hold back the longest tail that could still become the tag.
    size_t keep = 0;
    for (size_t k = std::min(tag.size() - 1, buf.size() - pos); k > 0; --k)
      if (buf.compare(buf.size() - k, k, tag, 0, k) == 0) {
        keep = k;
        break;
      }
    emit(std::string_view(buf).substr(pos, buf.size() - pos - keep), &d);
    held_ = buf.substr(buf.size() - keep);
    break;
  }
  return d;
}

ReasoningDelta ReasoningSplitter::finish() {
  ReasoningDelta d;
  emit(held_, &d);
  held_.clear();
  return d;
}

ReasoningDelta split_reasoning(std::string_view text, bool in_reasoning) {
  ReasoningSplitter s(in_reasoning);
  ReasoningDelta d = s.push(text), e = s.finish();
  d.reasoning += e.reasoning;
  d.content += e.content;
  return d;
}

}  // namespace r1::tok
