// r1 train: train a DeepSeek-architecture model (MLA, DeepSeekMoE, MTP) on a token file; `mpirun -np K r1 train`
// for data parallelism. The output folder is a Hugging Face checkpoint r1 serves, plus optimizer state.
#include <cstdio>

#include "cli/commands.h"
#include "model/init_checkpoint.h"
#include "train/trainer.h"

namespace r1::cli {

Action add_train(CLI::App& app) {
  auto* cmd = app.add_subcommand("train", "Train a DeepSeek-architecture model from scratch or from a checkpoint");
  auto o = std::make_shared<train::TrainOptions>();
  std::string names;
  for (const auto& n : init_config_names()) names += (names.empty() ? "" : ", ") + n;
  cmd->add_option("--config", o->config, "Model config to train from scratch (vocab_size from the data): " + names);
  cmd->add_option("--init", o->init_dir, "Checkpoint folder to continue training from (weights only)");
  cmd->add_option("--data", o->data, "Token file (.tok, e.g. from `r1 corpus`)")->required();
  cmd->add_option("--out", o->out, "Output folder (checkpoint, optimizer state, train_log.jsonl, loss.svg)")->required();
  cmd->add_option("--steps", o->steps, "Optimizer steps")->default_val(o->steps);
  cmd->add_option("--batch", o->batch, "Sequences per step per process")->default_val(o->batch);
  cmd->add_option("--seq", o->seq, "Tokens per sequence")->default_val(o->seq);
  cmd->add_option("--accum", o->accum, "Gradient accumulation: micro-batches per step")->default_val(o->accum);
  cmd->add_option("--lr", o->lr, "Peak learning rate")->default_val(o->lr);
  cmd->add_option("--min-lr", o->min_lr, "Final learning rate of the cosine (default lr/10)");
  cmd->add_option("--warmup", o->warmup, "Linear warmup steps (default steps/20)");
  cmd->add_option("--weight-decay", o->weight_decay, "AdamW decoupled weight decay (matrices only)")->default_val(o->weight_decay);
  cmd->add_option("--clip", o->clip, "Clip the global gradient norm to this (0: off)")->default_val(o->clip);
  cmd->add_option("--mtp-weight", o->mtp_weight, "Weight lambda of the multi-token-prediction loss")->default_val(o->mtp_weight);
  cmd->add_option("--bias-gamma", o->bias_gamma, "Auxiliary-loss-free balancing speed gamma (0: off)")->default_val(o->bias_gamma);
  cmd->add_option("--seq-aux-alpha", o->seq_aux_alpha, "Weight alpha of DeepSeek-V3's sequence-wise balance loss (0: off; V3 used 1e-4)")
      ->default_val(o->seq_aux_alpha);
  cmd->add_option("--seed", o->seed, "Seed of the initialisation and of the data order")->default_val(o->seed);
  cmd->add_option("--save-every", o->save_every, "Save a checkpoint every N steps (0: at the end)")->default_val(o->save_every);
  cmd->add_option("--save-dtype", o->save_dtype, "Weights dtype of the checkpoint: f32 (resumable) or bf16")
      ->default_val(o->save_dtype);
  cmd->add_option("--stop-after", o->stop_after, "Stop (and save) after N steps of this run; --resume continues")
      ->default_val(0);
  cmd->add_flag("--resume", o->resume, "Continue the run saved in --out (bit-exactly, same options required)");
  cmd->add_flag("!--no-progress", o->progress, "No progress line");
  cmd->add_option("-t,--threads", o->threads, "OpenBLAS threads (0: default)")->default_val(0);
  return [o]() {
    train::Dist dist;
    set_threads(o->threads);
    const train::TrainResult r = train::run_training(*o, dist);
    if (dist.root())
      std::printf("trained %lld steps: loss %.4f -> %.4f, %.0f tokens/s; wrote %s\n", (long long)r.steps_done,
                  r.first_loss, r.last_loss, r.tokens_per_second, o->out.c_str());
    return 0;
  };
}

}  // namespace r1::cli
