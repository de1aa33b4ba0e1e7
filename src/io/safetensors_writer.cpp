#include "io/safetensors_writer.h"

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "io/file_util.h"

namespace r1 {

namespace {

std::string header_bytes(const std::vector<const OwnedTensor*>& tensors, const std::map<std::string, std::string>& metadata) {
  nlohmann::ordered_json header;
  if (!metadata.empty()) header["__metadata__"] = metadata;
  uint64_t off = 0;
  for (const OwnedTensor* t : tensors) {
    header[t->name] = {{"dtype", dtype_tag(t->dtype)}, {"shape", t->shape}, {"data_offsets", {off, off + t->bytes.size()}}};
    off += t->bytes.size();
  }
  std::string h = header.dump();
  while ((8 + h.size()) % 8) h.push_back(' ');  // keep the data area 8-byte aligned
  std::string out;
  const uint64_t n = h.size();
  for (int i = 0; i < 8; ++i) out.push_back(char((n >> (8 * i)) & 0xff));
  return out + h;
}

}  // namespace

std::string safetensors_bytes(const std::vector<const OwnedTensor*>& tensors,
                              const std::map<std::string, std::string>& metadata) {
  std::string out = header_bytes(tensors, metadata);
  for (const OwnedTensor* t : tensors) out.append(reinterpret_cast<const char*>(t->bytes.data()), t->bytes.size());
  return out;
}

void write_safetensors(const std::string& path, const std::vector<const OwnedTensor*>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  write_file_atomic(path, [&](const ByteSink& sink) {
    const std::string h = header_bytes(tensors, metadata);
    sink(h.data(), h.size());
    for (const OwnedTensor* t : tensors) sink(t->bytes.data(), t->bytes.size());
  });
}

void write_checkpoint_tensors(const std::string& dir, const std::vector<OwnedTensor>& tensors, int shards,
                              const std::map<std::string, std::string>& metadata) {
  require(shards >= 1, "--shards must be at least 1");
  std::filesystem::create_directories(dir);
  if (shards == 1) {
    std::vector<const OwnedTensor*> all;
    for (const auto& t : tensors) all.push_back(&t);
    write_safetensors(dir + "/model.safetensors", all, metadata);
    return;
  }
  uint64_t total = 0;
  for (const auto& t : tensors) total += t.bytes.size();
  std::vector<std::vector<const OwnedTensor*>> parts(static_cast<size_t>(shards));
  uint64_t acc = 0;
  for (const auto& t : tensors) {
    const size_t k = std::min(size_t(shards - 1), size_t(acc * uint64_t(shards) / std::max<uint64_t>(total, 1)));
    parts[k].push_back(&t);
    acc += t.bytes.size();
  }
  nlohmann::ordered_json index;
  index["metadata"] = {{"total_size", total}};
  nlohmann::ordered_json wm = nlohmann::ordered_json::object();
  for (int s = 0; s < shards; ++s) {
    char name[64];
    std::snprintf(name, sizeof name, "model-%05d-of-%05d.safetensors", s + 1, shards);
    for (const OwnedTensor* t : parts[size_t(s)]) wm[t->name] = name;
    write_safetensors(dir + "/" + name, parts[size_t(s)], metadata);
  }
  index["weight_map"] = wm;
  write_file_atomic(dir + "/model.safetensors.index.json", index.dump(2) + "\n");
}

}  // namespace r1
