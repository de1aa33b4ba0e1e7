// `r1 distill`: hand a reasoning policy's skill to a smaller student (DeepSeek-R1 §2.4). The teacher answers
// training problems (k samples each); only completions the verifier marks correct are kept (rejection
// sampling); the student is trained on those traces with plain next-token cross-entropy, then evaluated on the
// held-out set. With compare_grpo the same student start is also trained by GRPO for the same wall time, so
// the two ways of spending the compute are compared on the same problems.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "rl/evaluate.h"
#include "rl/grpo_trainer.h"

namespace r1::rl {

struct DistillOptions {
  std::string teacher, out;
  std::string student_init;      // a student checkpoint to start from (e.g. a smaller base), or
  std::string student_config;    // an r1 init config to train from scratch
  std::string task = "arithmetic", task_options;
  int64_t problems = 4000, samples = 4, max_tokens = 48;
  float temperature = 1.0f;
  int64_t steps = 300, batch = 32, seq = 128;
  double lr = 1e-3;
  bool compare_grpo = false;
  GrpoOptions grpo;              // for the comparison; its max_minutes is set to the distillation's time
  int64_t eval_problems = 1000;
  EvalParams eval;
  uint64_t seed = 1;
  int threads = 0;
};

nlohmann::json run_distill(const DistillOptions& o);

}  // namespace r1::rl
