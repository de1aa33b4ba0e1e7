// r1 init: write a random-initialised tiny checkpoint in the Hugging Face layout.
#include <cstdio>

#include "cli/commands.h"
#include "model/init_checkpoint.h"

namespace r1::cli {

Action add_init(CLI::App& app) {
  auto* cmd = app.add_subcommand("init", "Write a random-initialised checkpoint (Hugging Face layout) for a named config");
  auto o = std::make_shared<InitOptions>();
  std::string names;
  for (const auto& n : init_config_names()) names += (names.empty() ? "" : ", ") + n;
  cmd->add_option("--config", o->config, "Config name: " + names)->required();
  cmd->add_option("--out", o->out, "Folder to write (config.json + safetensors)")->required();
  cmd->add_option("--seed", o->seed, "Random seed (same seed, same bytes)")->default_val(0);
  cmd->add_flag("--fp8", o->fp8, "Store decoder-layer linear weights as FP8 e4m3 with 128x128 block scales");
  cmd->add_option("--shards", o->shards, "Number of safetensors shards (>1 writes model.safetensors.index.json)")
      ->default_val(1);
  cmd->add_option("--dtype", o->dtype, "dtype of the non-FP8 tensors: bf16 or f32")->default_val("bf16");
  return [o]() {
    init_checkpoint(*o);
    std::printf("wrote %s (%s, seed %llu%s, %d shard%s)\n", o->out.c_str(), o->config.c_str(),
                (unsigned long long)o->seed, o->fp8 ? ", fp8" : "", o->shards, o->shards > 1 ? "s" : "");
    return 0;
  };
}

}  // namespace r1::cli
