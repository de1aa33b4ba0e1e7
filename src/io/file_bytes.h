// The bytes of a weight file in memory, read-only: either memory-mapped (pages come from the page cache on
// first touch, nothing is copied, the kernel may drop and re-read them) or copied once into anonymous memory
// backed by transparent huge pages. The copy costs a read of the file at load time and the file's size in
// memory the process owns; in exchange decode, which streams every active weight once per token, sees no 4 KiB
// page-table walks and reads ~5-10 % faster on this machine (docs/benchmarks.md). The default is Map: it
// starts at once and lets models larger than memory run; Copy suits a long-running server.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace r1 {

enum class WeightMemory { Map, Copy };

// "mmap" | "copy"; false for anything else.
bool weight_memory_from_name(const std::string& name, WeightMemory* out);
// Throws r1::Error when a copy of `total_bytes` would leave less than 1/8 of the memory now available
// (/proc/meminfo's MemAvailable), naming both figures: better refused at load than killed mid-run.
void check_copy_fits(uint64_t total_bytes);

class FileBytes {
 public:
  // Throws r1::Error naming the file on any failure.
  FileBytes(const std::string& path, WeightMemory mode);
  ~FileBytes();
  FileBytes(const FileBytes&) = delete;
  FileBytes& operator=(const FileBytes&) = delete;

  const uint8_t* data() const { return static_cast<const uint8_t*>(base_); }
  size_t size() const { return size_; }
  bool copied() const { return copied_; }

 private:
  void* base_ = nullptr;
  size_t size_ = 0, mapped_ = 0;
  bool copied_ = false;
};

}  // namespace r1
