// r1 distill: rejection-sample a teacher's correct reasoning traces and train a smaller student on them.
#include "cli/commands.h"
#include "rl/distill.h"

namespace r1::cli {

Action add_distill(CLI::App& app) {
  auto* cmd = app.add_subcommand("distill", "Train a smaller student on a teacher's correct traces (rejection sampling)");
  auto o = std::make_shared<rl::DistillOptions>();
  o->grpo.prompts = 32, o->grpo.group = 8, o->grpo.max_tokens = 48, o->grpo.lr = 1e-4, o->grpo.steps = 100000;
  o->eval.k = 8, o->eval.max_tokens = 48;
  cmd->add_option("--teacher", o->teacher, "Teacher model folder")->required();
  cmd->add_option("--student-init", o->student_init, "Student checkpoint to start from");
  cmd->add_option("--student-config", o->student_config, "Or: student config to train from scratch (r1 init names)");
  cmd->add_option("--task", o->task, "Task: arithmetic | countdown")->default_val(o->task);
  cmd->add_option("--task-options", o->task_options, "Task options k=v,...");
  cmd->add_option("--out", o->out, "Output folder (traces, student, report)")->required();
  cmd->add_option("--problems", o->problems, "Training problems the teacher answers")->default_val(o->problems);
  cmd->add_option("--samples", o->samples, "Teacher samples per problem")->default_val(o->samples);
  cmd->add_option("--max-tokens", o->max_tokens, "Completion limit")->default_val(o->max_tokens);
  cmd->add_option("--steps", o->steps, "Student training steps")->default_val(o->steps);
  cmd->add_option("--batch", o->batch, "Student batch")->default_val(o->batch);
  cmd->add_option("--seq", o->seq, "Student sequence length")->default_val(o->seq);
  cmd->add_option("--lr", o->lr, "Student learning rate")->default_val(o->lr);
  cmd->add_flag("--compare-grpo", o->compare_grpo, "Also train the student start by GRPO for the same time");
  cmd->add_option("--eval-problems", o->eval_problems, "Held-out problems")->default_val(o->eval_problems);
  cmd->add_option("--eval-samples", o->eval.k, "Samples per held-out problem")->default_val(o->eval.k);
  cmd->add_option("--seed", o->seed, "Seed")->default_val(o->seed);
  cmd->add_option("-t,--threads", o->threads, "Threads")->default_val(0);
  return [o]() {
    set_threads(o->threads);
    o->grpo.seed = o->seed;
    o->eval.max_tokens = o->max_tokens;
    rl::run_distill(*o);
    return 0;
  };
}

}  // namespace r1::cli
