#include "train/token_data.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "core/error.h"
#include "core/rng.h"
#include "io/file_util.h"

namespace r1::train {

namespace {
constexpr char kMagic[8] = {'R', '1', 'T', 'O', 'K', 'E', 'N', 'S'};
constexpr size_t kHeader = 8 + 4 + 4 + 8;
}  // namespace

void write_token_file(const std::string& path, const std::vector<int32_t>& ids, int64_t vocab_size) {
  require(vocab_size > 0 && vocab_size <= INT32_MAX, path + ": vocab_size out of range");
  for (size_t i = 0; i < ids.size(); ++i)
    require(ids[i] >= 0 && ids[i] < vocab_size, path + ": token id " + std::to_string(ids[i]) + " at " +
                                                    std::to_string(i) + " is outside the vocabulary");
  write_file_atomic(path, [&](const ByteSink& sink) {
    const uint32_t version = 1, vocab = uint32_t(vocab_size);
    const uint64_t count = ids.size();
    sink(kMagic, 8);
    sink(&version, 4);
    sink(&vocab, 4);
    sink(&count, 8);
    sink(ids.data(), ids.size() * sizeof(int32_t));
  });
}

TokenFile::TokenFile(const std::string& path) : path_(path) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) throw Error(path + ": cannot open token file: " + std::strerror(errno));
  struct stat st {};
  ::fstat(fd, &st);
  map_size_ = size_t(st.st_size);
  if (map_size_ < kHeader) {
    ::close(fd);
    throw Error(path + ": not a token file (" + std::to_string(map_size_) + " bytes, shorter than the header)");
  }
  void* m = ::mmap(nullptr, map_size_, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (m == MAP_FAILED) throw Error(path + ": cannot map token file");
  map_ = static_cast<const uint8_t*>(m);
  auto fail = [&](const std::string& what) {
    ::munmap(const_cast<uint8_t*>(map_), map_size_);
    map_ = nullptr;
    throw Error(path + ": " + what);
  };
  if (std::memcmp(map_, kMagic, 8) != 0) fail("not a token file (bad magic; expected R1TOKENS)");
  uint32_t version, vocab;
  uint64_t count;
  std::memcpy(&version, map_ + 8, 4);
  std::memcpy(&vocab, map_ + 12, 4);
  std::memcpy(&count, map_ + 16, 8);
  if (version != 1) fail("unsupported token file version " + std::to_string(version));
  if (vocab == 0) fail("vocab_size is 0");
  if (count > (map_size_ - kHeader) / 4 || kHeader + count * 4 != map_size_)
    fail("truncated or oversized: header says " + std::to_string(count) + " tokens, file has room for " +
         std::to_string((map_size_ - kHeader) / 4));
  ids_ = reinterpret_cast<const int32_t*>(map_ + kHeader);
  count_ = int64_t(count);
  vocab_ = vocab;
  for (int64_t i = 0; i < count_; ++i)
    if (ids_[i] < 0 || ids_[i] >= int32_t(vocab)) fail("token id " + std::to_string(ids_[i]) + " at " +
                                                        std::to_string(i) + " is outside the vocabulary");
}

TokenFile::~TokenFile() {
  if (map_) ::munmap(const_cast<uint8_t*>(map_), map_size_);
}

BatchLoader::BatchLoader(const TokenFile& f, int64_t batch, int64_t seq, uint64_t seed, int rank, int world)
    : f_(f), B_(batch), S_(seq), n_windows_(seq > 0 ? (f.size() - 1) / seq : 0), seed_(seed), rank_(rank), world_(world) {
  require(batch > 0 && seq > 0, "batch and sequence length must be positive");
  require(world > 0 && rank >= 0 && rank < world, "rank must be in [0, world)");
  require(n_windows_ > 0, "the token file holds " + std::to_string(f.size()) + " tokens, fewer than one sequence of " +
                              std::to_string(seq + 1));
}

int64_t BatchLoader::window_of(int64_t sample) const {
  const int64_t epoch = sample / n_windows_;
  if (epoch != cached_epoch_) {  // Fisher-Yates with a generator seeded by (seed, epoch)
    perm_.resize(size_t(n_windows_));
    for (int64_t i = 0; i < n_windows_; ++i) perm_[size_t(i)] = i;
    Rng rng(seed_ * 0x9E3779B97F4A7C15ull + uint64_t(epoch));
    for (int64_t i = n_windows_ - 1; i > 0; --i) std::swap(perm_[size_t(i)], perm_[size_t(rng.next() % uint64_t(i + 1))]);
    cached_epoch_ = epoch;
  }
  return perm_[size_t(sample % n_windows_)];
}

Batch BatchLoader::get(int64_t step) const {
  Batch b{B_, S_, std::vector<int32_t>(size_t(B_ * S_)), std::vector<int32_t>(size_t(B_ * S_))};
  for (int64_t r = 0; r < B_; ++r) {
    const int64_t sample = (step * world_ + rank_) * B_ + r;
    const int32_t* w = f_.data() + window_of(sample) * S_;
    for (int64_t s = 0; s < S_; ++s) {
      b.tokens[size_t(r * S_ + s)] = w[s];
      b.targets[size_t(r * S_ + s)] = w[s + 1];
    }
  }
  return b;
}

}  // namespace r1::train
