// Synthetic training corpora from a task: worked solutions of training-split problems (never the held-out test
// split), each document BOS + prompt_text(problem) + solution + EOS, tokenized into a .tok file with the
// tokenizer of `dir`. With slip > 0 the solutions contain mistakes (Task::noisy_trace): a base model trained on
// them is right only part of the time, which leaves room for RL to pull it up.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tasks/task.h"
#include "tokenizer/tokenizer.h"

namespace r1::rl {

struct CorpusStats {
  int64_t documents = 0, wrong = 0, tokens = 0;
};

// Documents as token ids (BOS ... EOS each).
std::vector<int32_t> task_corpus_ids(const tok::Tokenizer& t, const tasks::Task& task, int64_t problems, double slip,
                                     uint64_t seed, CorpusStats* stats = nullptr);

// Completions (e.g. a teacher's correct samples) as documents: BOS + prompt_text(problem) + completion text (+ EOS
// unless the completion already ends with it).
std::vector<int32_t> completion_corpus_ids(const tok::Tokenizer& t, const std::vector<tasks::Problem>& problems,
                                           const std::vector<std::vector<int32_t>>& completions,
                                           const std::vector<int64_t>& problem_of);

}  // namespace r1::rl
