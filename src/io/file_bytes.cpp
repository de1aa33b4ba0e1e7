#include "io/file_bytes.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <string>

#include "core/error.h"

namespace r1 {

bool weight_memory_from_name(const std::string& name, WeightMemory* out) {
  if (name == "mmap") *out = WeightMemory::Map;
  else if (name == "copy") *out = WeightMemory::Copy;
  else return false;
  return true;
}

namespace {

uint64_t mem_available_bytes() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  uint64_t kb = 0;
  std::string unit;
  while (in >> key >> kb >> unit)
    if (key == "MemAvailable:") return kb * 1024;
  return 0;
}

}  // namespace

void check_copy_fits(uint64_t total_bytes) {
  const uint64_t avail = mem_available_bytes();
  if (avail == 0) return;  // no /proc/meminfo: nothing to check against
  const auto mib = [](uint64_t b) { return std::to_string(b >> 20) + " MiB"; };
  require(total_bytes <= avail - avail / 8, "--load copy: the weights need " + mib(total_bytes) + " but only " +
                                                mib(avail) + " of memory are available; use --load mmap");
}

FileBytes::FileBytes(const std::string& path, WeightMemory mode) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  require(fd >= 0, path + ": cannot open: " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    throw Error(path + ": cannot stat");
  }
  size_ = size_t(st.st_size);
  if (size_ == 0) {  // nothing to map; callers reject files this short
    ::close(fd);
    return;
  }
  if (mode == WeightMemory::Map) {
    mapped_ = size_;
    base_ = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
    ::close(fd);
    if (base_ == MAP_FAILED) {
      base_ = nullptr;
      throw Error(path + ": mmap failed: " + std::strerror(errno));
    }
    return;
  }
  // Copy: anonymous memory rounded up to whole 2 MiB pages, huge pages asked for before the first touch.
  const size_t huge = size_t(2) << 20;
  mapped_ = (size_ + huge - 1) / huge * huge;
  base_ = ::mmap(nullptr, mapped_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (base_ == MAP_FAILED) {
    base_ = nullptr;
    ::close(fd);
    throw Error(path + ": cannot allocate " + std::to_string(mapped_ >> 20) + " MiB for a copy of the weights (try --load mmap)");
  }
  ::madvise(base_, mapped_, MADV_HUGEPAGE);  // a hint: without THP the copy still works, in 4 KiB pages
  auto* dst = static_cast<uint8_t*>(base_);
  size_t got = 0;
  while (got < size_) {
    const ssize_t n = ::pread(fd, dst + got, std::min<size_t>(size_ - got, size_t(64) << 20), off_t(got));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const std::string why = n < 0 ? std::strerror(errno) : "unexpected end of file";
      ::close(fd);
      ::munmap(base_, mapped_);
      base_ = nullptr;
      throw Error(path + ": read failed after " + std::to_string(got) + " of " + std::to_string(size_) + " bytes: " + why);
    }
    got += size_t(n);
  }
  ::close(fd);
  ::mprotect(base_, mapped_, PROT_READ);  // weights are read-only, as when mapped
  copied_ = true;
}

FileBytes::~FileBytes() {
  if (base_) ::munmap(base_, mapped_);
}

}  // namespace r1
