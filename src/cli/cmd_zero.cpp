// r1 zero: the whole R1-Zero pipeline on this machine (rl/zero.h): corpus, pretraining, evaluation, GRPO with
// rule-based rewards only, evaluation, report and curves.
#include <cstdio>

#include "cli/commands.h"
#include "rl/zero.h"

namespace r1::cli {

Action add_zero(CLI::App& app) {
  auto* cmd = app.add_subcommand("zero", "R1-Zero on this machine: pretrain a tiny base, then GRPO with rule-based rewards");
  auto o = std::make_shared<rl::ZeroOptions>();
  o->grpo.steps = 600;
  o->grpo.prompts = 32;
  o->grpo.group = 8;
  o->grpo.max_tokens = 48;
  o->grpo.lr = 1e-4;
  o->grpo.max_minutes = 30;
  o->grpo.eval_every = 10;
  o->grpo.eval_problems = 200;
  o->grpo.loss.beta = 0.0;
  o->eval.k = 8;
  o->eval.max_tokens = 48;
  cmd->add_option("--out", o->out, "Output folder (data, base, rl, eval_*.json, report.md)")->required();
  cmd->add_option("--task", o->task, "Task: arithmetic | countdown")->default_val(o->task);
  cmd->add_option("--task-options", o->task_options, "Task options k=v,...")->default_val(o->task_options);
  cmd->add_option("--corpus-problems", o->corpus_problems, "Worked solutions in the pretraining corpus")
      ->default_val(o->corpus_problems);
  cmd->add_option("--slip", o->slip, "Probability that a step of a corpus solution goes wrong")->default_val(o->slip);
  cmd->add_option("--config", o->config, "Base model config (r1 init names)")->default_val(o->config);
  cmd->add_option("--pretrain-steps", o->pretrain_steps, "Pretraining steps")->default_val(o->pretrain_steps);
  cmd->add_option("--pretrain-batch", o->pretrain_batch, "Pretraining batch")->default_val(o->pretrain_batch);
  cmd->add_option("--pretrain-seq", o->pretrain_seq, "Pretraining sequence length")->default_val(o->pretrain_seq);
  cmd->add_option("--pretrain-lr", o->pretrain_lr, "Pretraining learning rate")->default_val(o->pretrain_lr);
  cmd->add_option("--grpo-steps", o->grpo.steps, "GRPO steps (at most)")->default_val(o->grpo.steps);
  cmd->add_option("--grpo-minutes", o->grpo.max_minutes, "GRPO wall-time budget in minutes")->default_val(o->grpo.max_minutes);
  cmd->add_option("--prompts", o->grpo.prompts, "GRPO problems per step")->default_val(o->grpo.prompts);
  cmd->add_option("--group", o->grpo.group, "GRPO samples per problem")->default_val(o->grpo.group);
  cmd->add_option("--grpo-lr", o->grpo.lr, "GRPO learning rate")->default_val(o->grpo.lr);
  cmd->add_option("--beta", o->grpo.loss.beta, "KL weight to the base (0: off)")->default_val(o->grpo.loss.beta);
  cmd->add_option("--max-tokens", o->grpo.max_tokens, "Completion limit (GRPO and evaluation)")->default_val(o->grpo.max_tokens);
  cmd->add_option("--eval-problems", o->eval_problems, "Held-out problems for the before/after evaluation")
      ->default_val(o->eval_problems);
  cmd->add_option("--samples", o->eval.k, "Samples per held-out problem (pass@k)")->default_val(o->eval.k);
  cmd->add_option("--temperature", o->eval.temperature, "Evaluation sampling temperature")->default_val(o->eval.temperature);
  cmd->add_option("--seed", o->seed, "Seed of everything")->default_val(o->seed);
  cmd->add_flag("!--redo", o->skip_existing, "Redo stages whose outputs exist (default: reuse them)");
  cmd->add_option("-t,--threads", o->threads, "Threads")->default_val(0);
  return [o]() {
    set_threads(o->threads);
    o->grpo.seed = o->seed;
    o->eval.max_tokens = o->grpo.max_tokens;
    rl::run_zero(*o);
    return 0;
  };
}

}  // namespace r1::cli
