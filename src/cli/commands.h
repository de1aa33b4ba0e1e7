// One function per subcommand: each registers its flags on the CLI11 app and returns the action to run.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

#include "model/transformer.h"

namespace r1::cli {

using Action = std::function<int()>;

Action add_init(CLI::App& app);
Action add_info(CLI::App& app);
Action add_logits(CLI::App& app);
Action add_generate(CLI::App& app);
Action add_tokenize(CLI::App& app);
Action add_detokenize(CLI::App& app);
Action add_chat_template(CLI::App& app);
Action add_serve(CLI::App& app);
Action add_chat(CLI::App& app);
Action add_bench(CLI::App& app);
Action add_train(CLI::App& app);
Action add_corpus(CLI::App& app);
Action add_grpo(CLI::App& app);
Action add_eval(CLI::App& app);
Action add_zero(CLI::App& app);
Action add_distill(CLI::App& app);
Action add_solve(CLI::App& app);
Action add_quantize(CLI::App& app);
Action add_quant_eval(CLI::App& app);

// Shared helpers.
std::vector<int32_t> parse_token_list(const std::string& s);  // "0,17,5" -> {0, 17, 5}; throws r1::Error
void set_threads(int threads);                                // 0: leave OpenMP's default
std::string json_float(float v);                              // shortest text that reads back as the same f32
AttnMode parse_attn(const std::string& s);                    // auto | naive | absorb
// The task of a reasoning model: `task`/`options` when given, else the model folder's task.json (written by
// r1 grpo / r1 zero); r1::Error when neither says.
void resolve_task(const std::string& model_dir, std::string* task, std::string* options);
// --quant q8|q4 (quantize the linear weights at load time) and --load auto|mmap|copy (how the checkpoint's
// bytes are held) on a command that loads a model.
void add_load_options(CLI::App* cmd, ModelLoadOptions* load);
// --spec none|mtp: self-speculative decoding with the checkpoint's MTP module (runtime/spec_decoder.h).
void add_spec_option(CLI::App* cmd, bool* spec);
// --cache-type f32|bf16|fp8: the latent KV cache's storage type (kernels/cache_row.h); *type stays F32 unless given.
void add_cache_type_option(CLI::App* cmd, DType* type);

}  // namespace r1::cli
