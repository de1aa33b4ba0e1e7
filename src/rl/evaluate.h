// Evaluation on a fixed held-out problem set (tasks/split.h test split, disjoint from every training problem):
// k sampled completions per problem.
//   pass@1  = mean accuracy over all n·k samples (the unbiased estimate of one sample's success);
//   pass@k  = share of problems with at least one correct sample among their k;
//   format  = share of samples in the exact R1 format; mean_length = mean completion tokens;
//   greedy  = accuracy of the single greedy completion per problem (temperature 0), reported beside.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <vector>

#include "model/transformer.h"
#include "tasks/task.h"
#include "tokenizer/tokenizer.h"

namespace r1::rl {

struct EvalParams {
  int64_t k = 8;
  float temperature = 1.0f, top_p = 1.0f;
  int64_t max_tokens = 64;
  uint64_t seed = 0;
  bool greedy = true;  // also run the greedy completion
};

struct EvalResult {
  int64_t problems = 0, k = 0;
  double pass1 = 0, passk = 0, format_rate = 0, mean_length = 0, finished_rate = 0, greedy = 0;
  nlohmann::json to_json() const;
};

EvalResult evaluate(const Model& m, const tok::Tokenizer& t, const tasks::Task& task,
                    const std::vector<tasks::Problem>& problems, const EvalParams& p);

}  // namespace r1::rl
