// Rollouts: a policy answers task problems. The model sees BOS + "<｜User｜>" + problem.prompt + "<｜Assistant｜>"
// and writes its completion ("<think>…</think><answer>…</answer>" then EOS when it has learned the format);
// the task's rule-based verifier scores the completion text (special tokens kept, so the EOS reads as the
// end marker the format allows). The same prompt format is used by the synthetic corpora (r1 corpus --task),
// by GRPO, by evaluation and by distillation.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/transformer.h"
#include "runtime/batch_sampler.h"
#include "tasks/task.h"
#include "tokenizer/tokenizer.h"

namespace r1::rl {

std::string prompt_text(const tasks::Problem& p);                    // without BOS
std::vector<int32_t> prompt_ids(const tok::Tokenizer& t, const tasks::Problem& p);  // BOS + prompt_text

struct Rollout {
  int64_t problem = 0;            // index into the problems
  std::vector<int32_t> tokens;    // the completion
  bool finished = false;          // ended with EOS (false: cut at max_tokens)
  std::string text;               // decoded, special tokens kept
  tasks::Reward reward;
};

// n completions per problem (BatchSampleParams::n), EOS as the stop token; in problem order.
std::vector<Rollout> rollout(const Model& m, const tok::Tokenizer& t, const tasks::Task& task,
                             const std::vector<tasks::Problem>& problems, BatchSampleParams sp);

}  // namespace r1::rl
