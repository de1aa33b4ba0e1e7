// Read-only access to safetensors files: one file, or a Hugging Face folder whose shards are listed in
// model.safetensors.index.json. Files are memory-mapped (zero-copy) or copied once into huge-page memory
// (io/file_bytes.h); tensors are views into those bytes.
//
// Format: u64 little-endian header length N, N bytes of JSON {name: {dtype, shape, data_offsets:[b, e]},
// "__metadata__": {...}}, then the data area; offsets are relative to the data area's start.
// Validation on open: N within the file, valid JSON, known dtype, offsets inside the data area,
// e - b == numel * dtype size, no two tensors overlapping. Any violation throws r1::Error naming the file
// and the tensor.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/dtype.h"
#include "io/file_bytes.h"

namespace r1 {

struct TensorView {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;  // PyTorch order
  const uint8_t* data = nullptr;
  size_t nbytes = 0;
  const std::string* file = nullptr;  // the file it lives in, for error messages
  const std::map<std::string, std::string>* metadata = nullptr;  // that file's __metadata__ (string values)

  int64_t numel() const;
  std::string shape_str() const;  // "[4, 128]"
};

class SafetensorsFile {
 public:
  // Maps (or copies, see io/file_bytes.h) and validates; throws r1::Error.
  explicit SafetensorsFile(const std::string& path, WeightMemory memory = WeightMemory::Map);
  ~SafetensorsFile();
  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;

  const std::string& path() const { return path_; }
  const std::map<std::string, TensorView>& tensors() const { return tensors_; }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  size_t file_size() const { return size_; }

 private:
  std::string path_;
  std::unique_ptr<FileBytes> bytes_;
  size_t size_ = 0;
  std::map<std::string, TensorView> tensors_;
  std::map<std::string, std::string> metadata_;
};

// All tensors of a checkpoint folder (or of a single .safetensors file).
class Checkpoint {
 public:
  // Folder or file; throws r1::Error. `memory`: how the files' bytes are held.
  explicit Checkpoint(const std::string& path, WeightMemory memory = WeightMemory::Map);

  const std::string& dir() const { return dir_; }
  bool has(const std::string& name) const { return index_.count(name) != 0; }
  // Throws r1::Error "checkpoint DIR: missing tensor 'NAME'" when absent.
  const TensorView& get(const std::string& name) const;
  // get() plus a check of dtype membership and exact shape; errors name the tensor and its file.
  const TensorView& get(const std::string& name, const std::vector<int64_t>& shape) const;
  std::vector<std::string> names() const;
  size_t total_bytes() const;
  WeightMemory memory() const { return memory_; }

 private:
  std::string dir_;
  std::vector<std::unique_ptr<SafetensorsFile>> files_;
  std::map<std::string, const TensorView*> index_;
  WeightMemory memory_ = WeightMemory::Map;

  void open_files(const std::vector<std::string>& files, WeightMemory memory);
};

}  // namespace r1
