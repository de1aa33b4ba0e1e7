#include "io/safetensors.h"


#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "core/error.h"

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace r1 {

int64_t TensorView::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::string TensorView::shape_str() const {
  std::ostringstream s;
  s << '[';
  for (size_t i = 0; i < shape.size(); ++i) s << (i ? ", " : "") << shape[i];
  s << ']';
  return s.str();
}

SafetensorsFile::SafetensorsFile(const std::string& path, WeightMemory memory)
    : path_(path), bytes_(std::make_unique<FileBytes>(path, memory)) {
  size_ = bytes_->size();
  if (size_ < 8)
    throw Error(path + ": truncated safetensors file (" + std::to_string(size_) + " bytes, need at least 8)");
  const uint8_t* base = bytes_->data();
  uint64_t hlen = 0;
  for (int i = 0; i < 8; ++i) hlen |= uint64_t(base[i]) << (8 * i);
  if (hlen > size_ - 8) {
    throw Error(path + ": header length " + std::to_string(hlen) + " exceeds the file size " +
                std::to_string(size_) + " (truncated or not a safetensors file)");
  }
  json header;
  try {
    header = json::parse(reinterpret_cast<const char*>(base + 8), reinterpret_cast<const char*>(base + 8 + hlen));
  } catch (const json::exception& e) {
    throw Error(path + ": header is not valid JSON: " + e.what());
  }
  require(header.is_object(), path + ": header is not a JSON object");
  const uint8_t* data = base + 8 + hlen;
  const size_t data_size = size_ - 8 - hlen;

  struct Span { uint64_t b, e; const std::string* name; };
  std::vector<Span> spans;
  for (auto it = header.begin(); it != header.end(); ++it) {
    const std::string& name = it.key();
    if (name == "__metadata__") {
      if (it->is_object())
        for (auto m = it->begin(); m != it->end(); ++m)
          if (m->is_string()) metadata_[m.key()] = m->get<std::string>();
      continue;
    }
    const std::string where = path + ": tensor '" + name + "'";
    const json& e = *it;
    require(e.is_object() && e.contains("dtype") && e.contains("shape") && e.contains("data_offsets"),
            where + ": entry needs dtype, shape and data_offsets");
    require(e["dtype"].is_string(), where + ": dtype is not a string");
    TensorView t;
    t.name = name;
    t.file = &path_;
    t.metadata = &metadata_;
    require(dtype_from_tag(e["dtype"].get<std::string>(), &t.dtype),
            where + ": unsupported dtype '" + e["dtype"].get<std::string>() + "'");
    require(e["shape"].is_array(), where + ": shape is not an array");
    uint64_t numel = 1;
    for (const auto& d : e["shape"]) {
      require(d.is_number_unsigned() && d.get<uint64_t>() < (uint64_t(1) << 40), where + ": bad shape entry");
      t.shape.push_back(int64_t(d.get<uint64_t>()));
      numel *= d.get<uint64_t>();
      require(numel < (uint64_t(1) << 48), where + ": shape too large");
    }
    const json& off = e["data_offsets"];
    require(off.is_array() && off.size() == 2 && off[0].is_number_unsigned() && off[1].is_number_unsigned(),
            where + ": data_offsets must be two non-negative integers");
    const uint64_t b = off[0].get<uint64_t>(), en = off[1].get<uint64_t>();
    require(b <= en && en <= data_size, where + ": data_offsets [" + std::to_string(b) + ", " + std::to_string(en) +
                                            ") outside the data area of " + std::to_string(data_size) +
                                            " bytes (truncated file?)");
    const uint64_t want = numel * dtype_size(t.dtype);
    require(en - b == want, where + ": holds " + std::to_string(en - b) + " bytes but " + e["dtype"].get<std::string>() +
                                " " + t.shape_str() + " needs " + std::to_string(want));
    t.data = data + b;
    t.nbytes = en - b;
    auto [pos, fresh] = tensors_.emplace(name, std::move(t));
    if (en > b) spans.push_back({b, en, &pos->first});  // empty tensors occupy no bytes
  }
  std::sort(spans.begin(), spans.end(), [](const Span& x, const Span& y) { return x.b < y.b; });
  for (size_t i = 1; i < spans.size(); ++i)
    require(spans[i].b >= spans[i - 1].e,
            path + ": tensors '" + *spans[i - 1].name + "' and '" + *spans[i].name + "' overlap");
}

SafetensorsFile::~SafetensorsFile() = default;

Checkpoint::Checkpoint(const std::string& path, WeightMemory memory) {
  std::vector<std::string> files;
  if (fs::is_regular_file(path)) {
    dir_ = fs::path(path).parent_path().string();
    files.push_back(path);
  } else {
    require(fs::is_directory(path), path + ": no such checkpoint folder or file");
    dir_ = path;
    const fs::path index = fs::path(path) / "model.safetensors.index.json";
    std::map<std::string, std::string> weight_map;
    if (fs::exists(index)) {
      json j;
      try {
        std::ifstream in(index);
        j = json::parse(in);
      } catch (const json::exception& e) {
        throw Error(index.string() + ": invalid JSON: " + e.what());
      }
      require(j.is_object() && j.contains("weight_map") && j["weight_map"].is_object(),
              index.string() + ": missing object 'weight_map'");
      std::set<std::string> shards;
      for (auto it = j["weight_map"].begin(); it != j["weight_map"].end(); ++it) {
        require(it->is_string(), index.string() + ": weight_map['" + it.key() + "'] is not a file name");
        const std::string f = it->get<std::string>();
        require(f.find('/') == std::string::npos && f != ".." && !f.empty(),
                index.string() + ": weight_map['" + it.key() + "'] names a path outside the folder");
        weight_map[it.key()] = f;
        shards.insert(f);
      }
      for (const auto& s : shards) files.push_back((fs::path(path) / s).string());
    } else {
      for (const auto& e : fs::directory_iterator(path))
        if (e.path().extension() == ".safetensors") files.push_back(e.path().string());
      std::sort(files.begin(), files.end());
      require(!files.empty(), path + ": no .safetensors files and no model.safetensors.index.json");
    }
    open_files(files, memory);
    for (const auto& f : files_)
      for (const auto& [name, t] : f->tensors()) {
        auto it = weight_map.find(name);
        if (!weight_map.empty() && (it == weight_map.end() || fs::path(it->second).filename() !=
                                                                  fs::path(f->path()).filename()))
          continue;  // not the copy the index points to
        require(!index_.count(name), f->path() + ": tensor '" + name + "' appears in more than one file");
        index_[name] = &t;
      }
    for (const auto& [name, file] : weight_map)
      require(index_.count(name), index.string() + ": tensor '" + name + "' is listed for " + file +
                                      " but that file does not hold it");
    return;
  }
  open_files(files, memory);
  for (const auto& [name, t] : files_[0]->tensors()) index_[name] = &t;
}

void Checkpoint::open_files(const std::vector<std::string>& files, WeightMemory memory) {
  uint64_t total = 0;
  for (const auto& f : files) {
    std::error_code ec;
    const auto n = fs::file_size(f, ec);
    require(!ec, f + ": cannot stat: " + ec.message());
    total += n;
  }
  if (memory == WeightMemory::Copy) check_copy_fits(total);
  memory_ = memory;
  for (const auto& f : files) files_.push_back(std::make_unique<SafetensorsFile>(f, memory_));
}

const TensorView& Checkpoint::get(const std::string& name) const {
  auto it = index_.find(name);
  require(it != index_.end(), "checkpoint " + dir_ + ": missing tensor '" + name + "'");
  return *it->second;
}

const TensorView& Checkpoint::get(const std::string& name, const std::vector<int64_t>& shape) const {
  const TensorView& t = get(name);
  if (t.shape != shape) {
    TensorView want;
    want.shape = shape;
    throw Error(*t.file + ": tensor '" + name + "' has shape " + t.shape_str() + " but the config implies " +
                want.shape_str());
  }
  return t;
}

std::vector<std::string> Checkpoint::names() const {
  std::vector<std::string> out;
  for (const auto& [n, t] : index_) out.push_back(n);
  return out;
}

size_t Checkpoint::total_bytes() const {
  size_t n = 0;
  for (const auto& f : files_) n += f->file_size();
  return n;
}

}  // namespace r1
