// Writes Hugging Face style safetensors checkpoints: one file, or N shards plus
// model.safetensors.index.json. Every file is written atomically.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/dtype.h"

namespace r1 {

struct OwnedTensor {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  std::vector<uint8_t> bytes;
};

// Serialises tensors (in the given order) into one safetensors image.
std::string safetensors_bytes(const std::vector<const OwnedTensor*>& tensors,
                              const std::map<std::string, std::string>& metadata);
// Writes that image to `path` atomically, streaming the tensors (no copy of the whole file in memory).
void write_safetensors(const std::string& path, const std::vector<const OwnedTensor*>& tensors,
                       const std::map<std::string, std::string>& metadata);

// Writes DIR/model.safetensors (shards == 1) or DIR/model-0000i-of-0000N.safetensors + the index.
// Tensors are assigned to shards in order, each shard taking about 1/N of the bytes.
void write_checkpoint_tensors(const std::string& dir, const std::vector<OwnedTensor>& tensors, int shards,
                              const std::map<std::string, std::string>& metadata = {{"format", "pt"}});

}  // namespace r1
