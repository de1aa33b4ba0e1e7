// The training loop behind `r1 train`: a DeepSeek-architecture model (MLA, DeepSeekMoE, MTP) trained from
// scratch or from a checkpoint on a token file, with AdamW (f32 master weights), warmup + cosine LR, gradient
// clipping and accumulation, auxiliary-loss-free expert balancing (DeepSeek-V3 §2.1.2: the router bias of an
// overloaded expert goes down by gamma, of an underloaded one up, used only for selection), optionally the
// complementary sequence-wise balance loss (§2.1.2, weight alpha), the MTP loss (weight lambda), data
// parallelism over MPI, atomic checkpoints and bit-exact resume.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "autograd/model.h"
#include "train/adamw.h"
#include "train/dist.h"

namespace r1::train {

struct TrainOptions {
  std::string config;        // an `r1 init` config name (vocab_size taken from the data), or
  std::string init_dir;      // a checkpoint folder to continue from (its weights; the optimizer starts fresh)
  std::string data;          // .tok file; tokenizer files next to it are copied into `out`
  std::string out;           // checkpoint folder (an HF folder r1 serves, plus optimizer state)
  int64_t steps = 100, batch = 8, seq = 128, accum = 1;
  double lr = 1e-3, min_lr = -1.0;  // min_lr < 0: lr / 10
  int64_t warmup = -1;              // < 0: steps / 20
  double weight_decay = 0.1, clip = 1.0, beta1 = 0.9, beta2 = 0.95;
  double mtp_weight = 0.3;          // lambda of DeepSeek-V3's MTP loss
  double bias_gamma = 0.001;        // balancing speed gamma (0: off)
  double seq_aux_alpha = 0.0;       // alpha of the sequence-wise balance loss (DeepSeek-V3 eq. 17-20; 0: off)
  uint64_t seed = 0;
  int64_t save_every = 0;           // 0: only at the end
  std::string save_dtype = "f32";   // f32 (resumable) | bf16 (smaller, for serving)
  bool resume = false;
  int64_t stop_after = 0;           // > 0: stop (and save) after this many steps of this invocation; --resume goes on
  bool progress = true;
  int threads = 0;
  std::string log_name = "train_log.jsonl";
};

struct TrainResult {
  int64_t steps_done = 0;
  double first_loss = 0, last_loss = 0, tokens_per_second = 0;
};

// The AdamW segments of a parameter set: one per tensor, decayed when it has >= 2 dimensions (matrices, not
// norm weights or biases), trainable as the set says (the router's balancing bias is not).
std::vector<Segment> param_segments(const ag::ParamSet<float>& ps);

// The main model's MoE layers (those of c.is_moe_layer; the MTP modules' blocks are not balanced).
std::vector<int64_t> moe_layer_ids(const ModelConfig& c);

// Adds to load (moe_layer_ids(c).size(), n_routed_experts) the slots routed to each expert by the last
// model_forward (a token counts once per expert it is sent to).
void add_expert_load(const ModelConfig& c, const ag::ModelActs<float>& acts, int64_t* load);

// Auxiliary-loss-free balancing (DeepSeek-V3 §2.1.2) on one MoE layer's router bias (E experts):
//   bias[e] += gamma * sign(mean load - load[e]).
// Returns max_e load / mean load (0 when nothing was routed); gamma <= 0 only measures.
double balance_router_bias(float* bias, const int64_t* load, int64_t E, double gamma);

// Runs (or resumes) training; only rank 0 writes files. Errors (bad data, bad options, an inconsistent
// checkpoint) throw r1::Error naming the problem before any file in `out` is touched.
TrainResult run_training(const TrainOptions& o, const Dist& dist);

}  // namespace r1::train
