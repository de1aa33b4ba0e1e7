// `r1 zero`: the R1-Zero pipeline on this machine, end to end.
//   1. corpus    worked solutions of training problems, with mistakes (slip), char-level tokenizer
//   2. pretrain  a tiny DeepSeek-architecture base (MLA, MoE, MTP) on it          -> OUT/base
//   3. evaluate  the base on held-out problems (pass@1, pass@k, format, length)   -> OUT/eval_base.json
//   4. GRPO      rule-based rewards only, no supervised fine-tuning                -> OUT/rl (+ curves)
//   5. evaluate  the RL policy on the same held-out problems                       -> OUT/eval_rl.json
// and OUT/report.md with the before/after table. Every stage prints a live progress line; each stage's folder
// is an ordinary checkpoint, so `r1 chat --model OUT/rl` talks to the result.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "rl/evaluate.h"
#include "rl/grpo_trainer.h"

namespace r1::rl {

struct ZeroOptions {
  std::string out;
  std::string task = "arithmetic";
  std::string task_options = "ops=+-,min_operand=10,max_operand=99,compact=1";
  int64_t corpus_problems = 60000;
  double slip = 0.4;
  std::string config = "train-tiny";
  int64_t pretrain_steps = 600, pretrain_batch = 32, pretrain_seq = 128;
  double pretrain_lr = 3e-3;
  GrpoOptions grpo;                 // model/out/task filled in by the pipeline
  int64_t eval_problems = 1000;
  EvalParams eval;
  uint64_t seed = 1;
  int threads = 0;
  bool skip_existing = true;        // reuse stages whose output is already complete
};

nlohmann::json run_zero(const ZeroOptions& o);

}  // namespace r1::rl
