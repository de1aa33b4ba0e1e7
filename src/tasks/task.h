// Reasoning tasks with rule-based verifiers: the problems a model is asked, a worked solution in the R1 format
// (for synthetic pretraining / SFT corpora) and the reward a completion earns (for GRPO / R1-Zero).
//
// A task is a small interface (Task below). Users add their own by subclassing it and registering a factory
// in a TaskRegistry (registry.h). Built-in tasks: "arithmetic" (arithmetic.h) and "countdown" (countdown.h).
//
// ## The R1 answer format and its reward (parse_r1_format)
//
// A completion earns format reward 1 when it is, exactly,
//
//     WS* "<think>" THINK "</think>" WS* "<answer>" ANSWER "</answer>" WS* [ END WS* ]
//
// where WS is one of ' ', '\t', '\n', '\r'; THINK and ANSWER are any text that contains none of the four tags
// "<think>", "</think>", "<answer>", "</answer>"; THINK may be empty; ANSWER must contain a character other than
// WS; END is one of FormatSpec::end_markers (by default DeepSeek's end-of-sentence token text
// "<｜end▁of▁sentence｜>"), written at most once. Nothing else may come before, between or after.
// With FormatSpec::think_prefilled the prompt already ended with "<think>" (R1's newer chat template, the
// TinyZero prompt), so the completion starts inside THINK: the grammar above applies to "<think>" + completion.
// The extracted answer is ANSWER with leading and trailing WS removed.
//
// ## Accuracy reward
//
// Accuracy 1 when the format is right and the task's check_answer() accepts the extracted answer. A completion
// with the wrong format earns no accuracy even if it contains a correct answer somewhere (strict: a policy must
// not learn to skip the format). total = accuracy_weight * accuracy + format_weight * format.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/rng.h"

namespace r1::tasks {

// One problem. `numbers`, `target` and `op` are the task-specific data (each task documents what it stores);
// `fields` is free room for user tasks.
struct Problem {
  std::string task;         // Task::name() of the task that made it
  std::string prompt;       // the question as shown to the model (plain text, no chat template)
  std::string answer_hint;  // one correct answer (what would go inside <answer>…</answer>)
  std::vector<int64_t> numbers;
  int64_t target = 0;
  std::string op;
  std::map<std::string, std::string> fields;
};

struct Reward {
  double accuracy = 0;  // 1 when the extracted answer is correct (and the format is right), else 0
  double format = 0;    // 1 when the completion follows the R1 format exactly, else 0
  double total = 0;     // accuracy_weight * accuracy + format_weight * format
  std::string answer;   // the extracted answer ("" when the format is wrong)
  bool parsed = false;  // the answer is syntactically valid for the task (e.g. an integer, an expression)
  std::string why;      // for logs: why the format or the answer was rejected ("" when accepted)
};

struct FormatSpec {
  bool think_prefilled = false;  // the prompt ended with "<think>"; the completion starts inside it
  std::vector<std::string> end_markers = {"<\xEF\xBD\x9C" "end\xE2\x96\x81" "of\xE2\x96\x81" "sentence\xEF\xBD\x9C>"};
};

struct RewardParams {
  FormatSpec format;
  double accuracy_weight = 1.0;
  double format_weight = 0.1;  // TinyZero-style: a small bonus for the format alone
};

// The result of reading a completion against the grammar above.
struct FormatParse {
  bool ok = false;
  std::string think;   // THINK as written
  std::string answer;  // ANSWER without surrounding WS
  std::string why;     // reason when !ok
};
FormatParse parse_r1_format(std::string_view completion, const FormatSpec& spec = {});

// What a task's checker says about an extracted answer.
struct AnswerCheck {
  bool parsed = false;   // syntactically valid for this task
  bool correct = false;  // parsed and right
  std::string why;       // reason when !correct
};

// The instruction appended to every built-in prompt.
std::string_view format_instruction();

class Task {
 public:
  explicit Task(RewardParams reward = {}) : reward_(std::move(reward)) {}
  virtual ~Task() = default;

  virtual std::string name() const = 0;
  // Draws one problem; deterministic given the generator state.
  virtual Problem sample(Rng& rng) const = 0;
  // A worked solution "<think>…</think><answer>…</answer>" whose answer check_answer() accepts. Throws r1::Error
  // when the task cannot solve the problem (e.g. a hand-written unsolvable countdown).
  virtual std::string solution_trace(const Problem& p) const = 0;
  // A worked solution with mistakes: each step goes wrong with probability `slip`, the rest follows from the
  // mistake (synthetic pretraining corpora whose base model is right only part of the time, leaving RL room).
  // Default: r1::Error (the task does not model mistakes).
  virtual std::string noisy_trace(const Problem& p, Rng& rng, double slip) const;
  // Checks an extracted answer (already stripped of surrounding whitespace). Must never throw on any input.
  virtual AnswerCheck check_answer(const Problem& p, std::string_view answer) const = 0;
  // Text that identifies the problem up to presentation (used for the train/test split and deduplication).
  // Default: name() + '\n' + prompt.
  virtual std::string canonical(const Problem& p) const;

  // Format + accuracy reward of a completion (see the top of this file). Never throws on any completion.
  virtual Reward score(const Problem& p, std::string_view completion) const;

  const RewardParams& reward_params() const { return reward_; }

 protected:
  RewardParams reward_;
};

// Uniform integer in [lo, hi] (rejection sampling; no modulo bias). Requires lo <= hi.
int64_t uniform_int(Rng& rng, int64_t lo, int64_t hi);

}  // namespace r1::tasks
