// r1: DeepSeek models in C++. One binary, one subcommand per job.
#include <cstdio>
#include <exception>

#include "cli/commands.h"
#include "core/error.h"

int main(int argc, char** argv) {
  CLI::App app{"r1.cpp: run, inspect and create DeepSeek-architecture checkpoints (Hugging Face folders)", "r1"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "r1 0.1.0");
  std::vector<std::pair<CLI::App*, r1::cli::Action>> actions;
  for (auto add : {r1::cli::add_init, r1::cli::add_info, r1::cli::add_logits, r1::cli::add_generate,
                   r1::cli::add_tokenize, r1::cli::add_detokenize, r1::cli::add_chat_template,
                   r1::cli::add_serve, r1::cli::add_chat, r1::cli::add_bench, r1::cli::add_train, r1::cli::add_corpus,
                   r1::cli::add_grpo, r1::cli::add_eval, r1::cli::add_quantize, r1::cli::add_quant_eval,
                   r1::cli::add_zero, r1::cli::add_distill, r1::cli::add_solve}) {
    r1::cli::Action a = add(app);
    actions.emplace_back(app.get_subcommands({}).back(), std::move(a));
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    for (auto& [sub, action] : actions)
      if (sub->parsed()) return action();
  } catch (const r1::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "error: out of memory\n");
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
