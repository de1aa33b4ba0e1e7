// The DeepSeek decoder (= model.py Transformer): embedding, n_layers blocks, final norm, output head.
// Weights stay memory-mapped in the checkpoint; the model owns nothing large.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "io/safetensors.h"
#include "model/config.h"
#include "model/latent_cache.h"
#include "model/mla.h"
#include "model/rope_yarn.h"
#include "model/weights.h"

namespace r1 {

enum class AttnMode { Auto, Naive, Absorb };  // Auto: naive for prompts (T > 1), absorbed for decode (T == 1)

struct ModelLoadOptions {
  // Q8 or Q4: quantize the linear weights at load time into memory the model owns (policy in
  // model/quantize_model.h); nullopt: use the checkpoint's formats as stored.
  std::optional<DType> quant;
};

class Model {
 public:
  // Loads config.json and maps the safetensors of `dir`; throws r1::Error on any inconsistency.
  explicit Model(const std::string& dir, const ModelLoadOptions& opts = {});

  const ModelConfig& config() const { return cfg_; }
  const ModelWeights& weights() const { return w_; }
  const Checkpoint& checkpoint() const { return *ck_; }
  const std::string& dir() const { return dir_; }

  // Runs tokens (T) at positions start_pos.. through the stack, filling the cache. Writes logits of the last
  // position (vocab_size) to `logits`; if `all_logits` is non-null it receives (T, vocab_size) instead.
  // Token ids outside [0, vocab_size) and positions beyond the cache throw r1::Error.
  void forward(const int32_t* tokens, int64_t T, int64_t start_pos, LatentCache& cache, float* logits,
               AttnMode mode = AttnMode::Auto, float* all_logits = nullptr) const;

  // One step over rows from any number of sequences (continuous batching): row i is token[i] at position
  // pos[i] of the sequence whose cache is cache[i]. Logits are written, in row order, for the rows with
  // want_logits[i] (vocab_size each). Absorbed attention; every weight is read once for all rows.
  struct Row {
    int32_t token;
    int64_t pos;
    LatentCache* cache;
    bool want_logits;
  };
  void forward_rows(const std::vector<Row>& rows, float* logits) const;

 private:
  std::string dir_;
  ModelConfig cfg_;
  std::unique_ptr<Checkpoint> ck_;
  // The shared body: embeddings of rows -> final-norm hidden states of the rows in `out_rows`.
  void run(const std::vector<Row>& rows, AttnImpl impl, const std::vector<int64_t>& out_rows, float* logits) const;

  ModelWeights w_;
  Rope rope_;
};

}  // namespace r1
