// GRPO (DeepSeekMath §4.1, DeepSeek-R1 §2.2) on a task with a rule-based verifier: each step samples a group of G
// completions for each of P training problems with the current policy (batched through the runtime and its
// latent cache), scores them, turns rewards into group advantages (rl/grpo_loss.h), and takes mu AdamW steps on
// the clipped objective (with the k3 KL to the frozen starting policy when beta > 0). The policy is trained in
// f32 through src/autograd; the sampler reads a copy written after every update (a few MB for the models this
// machine trains).
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "rl/grpo_loss.h"

namespace r1::rl {

struct GrpoOptions {
  std::string model;               // the base policy (HF folder with tokenizer)
  std::string task = "arithmetic";
  std::string task_options;        // "k=v,..." (tasks/registry.h)
  std::string out;                 // the trained policy (HF folder) + grpo_log.jsonl + plots
  int64_t steps = 100;
  int64_t prompts = 32;            // P problems per step
  int64_t group = 8;               // G completions per problem
  int64_t max_tokens = 64;         // completion limit
  float temperature = 1.0f;
  int64_t mu = 1;                  // policy updates per sampled batch
  double lr = 1e-4, weight_decay = 0.0, clip = 1.0;
  double min_lr_ratio = 0.1;       // cosine decay from lr to lr * min_lr_ratio over `steps` (1: constant)
  GrpoLossParams loss;             // clip_low/high, beta, aggregation, max_len
  AdvantageParams adv;             // std scaling, dynamic sampling, overlong handling
  uint64_t seed = 0;
  double max_minutes = 0;          // > 0: stop after this wall time (the remaining steps are skipped)
  int64_t eval_every = 0;          // > 0: evaluate on eval_problems held-out problems every N steps
  int64_t eval_problems = 200;
  int threads = 0;
  bool progress = true;
};

struct GrpoStepLog {
  int64_t step = 0;
  double reward = 0, accuracy = 0, format = 0, length = 0, loss = 0, clip_fraction = 0, kl = 0, seconds = 0;
  int64_t groups_kept = 0, groups_dropped = 0;
};

// Runs GRPO; writes the final policy to `out` (an HF folder r1 serves) with grpo_log.jsonl. `on_step` (optional)
// sees every step's log (the zero pipeline draws its live display from it). Returns the log of every step.
std::vector<nlohmann::json> run_grpo(const GrpoOptions& o, const std::function<void(const nlohmann::json&)>& on_step = {});

}  // namespace r1::rl
