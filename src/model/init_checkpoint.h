// `r1 init`: random-initialised checkpoints in the exact Hugging Face layout of DeepSeek's releases
// (tensor names, BF16 weights, optional FP8 e4m3 weights with 128x128 block scales, shards + index),
// for the named tiny configs below. Tests, demos and (later) training start from these.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace r1 {

struct InitOptions {
  std::string config;  // a name from init_config_names()
  std::string out;     // folder to write
  uint64_t seed = 0;
  bool fp8 = false;    // decoder-layer linear weights as F8_E4M3 + weight_scale_inv, like V3/R1's release
  int shards = 1;      // > 1: model-0000i-of-0000N.safetensors + model.safetensors.index.json
  std::string dtype = "bf16";  // other tensors: bf16 | f32
};

std::vector<std::string> init_config_names();
// config.json text for a named config (throws r1::Error for an unknown name, listing the known ones).
std::string init_config_json(const std::string& name, bool fp8);
// Writes config.json and the safetensors; every file is written atomically.
void init_checkpoint(const InitOptions& o);

}  // namespace r1
