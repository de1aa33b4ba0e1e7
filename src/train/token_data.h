// Token files for training and a shuffling batch loader over them.
//
// File format (.tok): "R1TOKENS" (8 bytes), u32 version = 1, u32 vocab_size, u64 count, then count i32 token
// ids, little-endian. Written atomically; read through a memory map and validated (magic, version, size,
// every id in [0, vocab_size)).
//
// The loader cuts the stream into non-overlapping windows of seq + 1 tokens (inputs and next-token targets),
// visits them in a fresh seeded permutation each epoch, and gives each data-parallel rank its own rows of
// every global batch: rank r of W takes global samples step * B * W + r * B + b. So W ranks with batch B see
// exactly the samples one process sees with batch W * B, and a run resumed at step s continues bit-exactly.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace r1::train {

void write_token_file(const std::string& path, const std::vector<int32_t>& ids, int64_t vocab_size);

class TokenFile {
 public:
  explicit TokenFile(const std::string& path);  // throws r1::Error naming the file and the problem
  ~TokenFile();
  TokenFile(const TokenFile&) = delete;
  TokenFile& operator=(const TokenFile&) = delete;
  int64_t size() const { return count_; }
  int64_t vocab_size() const { return vocab_; }
  const int32_t* data() const { return ids_; }

 private:
  std::string path_;
  const uint8_t* map_ = nullptr;
  size_t map_size_ = 0;
  const int32_t* ids_ = nullptr;
  int64_t count_ = 0, vocab_ = 0;
};

struct Batch {
  int64_t B = 0, S = 0;
  std::vector<int32_t> tokens, targets;  // (B, S) each; targets[b, s] = tokens[b, s + 1] of the window
};

class BatchLoader {
 public:
  BatchLoader(const TokenFile& f, int64_t batch, int64_t seq, uint64_t seed, int rank = 0, int world = 1);
  Batch get(int64_t step) const;  // deterministic in (seed, step, rank, world)
  int64_t windows() const { return n_windows_; }

 private:
  int64_t window_of(int64_t sample) const;  // the window the global sample index visits
  const TokenFile& f_;
  int64_t B_, S_, n_windows_;
  uint64_t seed_;
  int rank_, world_;
  mutable int64_t cached_epoch_ = -1;
  mutable std::vector<int64_t> perm_;
};

}  // namespace r1::train
