#include "tokenizer/reasoning.h"

#include <gtest/gtest.h>

namespace r1::tok {
namespace {

ReasoningDelta by_pieces(const std::string& text, size_t step, bool in_reasoning = false) {
  ReasoningSplitter s(in_reasoning);
  ReasoningDelta all;
  for (size_t i = 0; i < text.size(); i += step) {
    const ReasoningDelta d = s.push(text.substr(i, step));
    all.reasoning += d.reasoning;
    all.content += d.content;
  }
  const ReasoningDelta d = s.finish();
  all.reasoning += d.reasoning;
  all.content += d.content;
  return all;
}

TEST(Reasoning, SplitsThinkFromAnswer) {
  const auto d = split_reasoning("<think>\n2+2 is 4\n</think>\n\nThe answer is 4.");
  EXPECT_EQ(d.reasoning, "\n2+2 is 4\n");
  EXPECT_EQ(d.content, "The answer is 4.");
}

TEST(Reasoning, StreamingGivesTheSameSplitForEveryChunkSize) {
  const std::string text = "<think>a < b, </thin not yet</think>\nok <think> inside";
  const auto whole = split_reasoning(text);
  for (size_t step = 1; step <= 9; ++step) {
    const auto d = by_pieces(text, step);
    EXPECT_EQ(d.reasoning, whole.reasoning) << step;
    EXPECT_EQ(d.content, whole.content) << step;
  }
  EXPECT_EQ(whole.reasoning, "a < b, </thin not yet inside");
  EXPECT_EQ(whole.content, "ok ");
}

TEST(Reasoning, StartsInsideWhenThePromptOpenedTheTag) {
  const auto d = by_pieces("thinking...</think>answer", 2, true);
  EXPECT_EQ(d.reasoning, "thinking...");
  EXPECT_EQ(d.content, "answer");
}

TEST(Reasoning, NoTagsMeansAllContentAndPartialTagIsReleased) {
  EXPECT_EQ(split_reasoning("plain <thi").content, "plain <thi");
  EXPECT_EQ(split_reasoning("plain <thi").reasoning, "");
}

}  // namespace
}  // namespace r1::tok
