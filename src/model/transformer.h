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

enum class AttnMode { Auto, Naive, Absorb };  // Auto: naive for prompts (forward), absorbed for decode

struct ModelLoadOptions {
  // Q8 or Q4: quantize the linear weights at load time into memory the model owns (policy in
  // model/quantize_model.h); nullopt: use the checkpoint's formats as stored.
  std::optional<DType> quant;
  // How the checkpoint's bytes are held (io/file_bytes.h): mapped, or copied into huge-page memory (ignored
  // with `quant`: the quantized weights live in memory the model owns and the file stays mapped).
  WeightMemory memory = WeightMemory::Map;
};

class Model {
 public:
  // Loads config.json and maps the safetensors of `dir`; throws r1::Error on any inconsistency.
  explicit Model(const std::string& dir, const ModelLoadOptions& opts = {});

  const ModelConfig& config() const { return cfg_; }
  const ModelWeights& weights() const { return w_; }
  const Checkpoint& checkpoint() const { return *ck_; }
  const std::string& dir() const { return dir_; }

  // Runs tokens (T) of a prompt at positions start_pos.. through the stack, filling the cache. Writes logits of
  // the last position (vocab_size) to `logits`; if `all_logits` is non-null it receives (T, vocab_size) instead.
  // Token ids outside [0, vocab_size) and positions beyond the cache throw r1::Error.
  // hidden (optional): the final-norm hidden states of the rows whose logits are written (dim each).
  // A prompt pass for every T, even 1 (LinearPass::Prompt, naive attention under Auto): a prompt computed in
  // chunks (the server's prefill, a cached prefix) takes the same kernels as in one call. Decode steps are
  // decode() / forward_rows().
  void forward(const int32_t* tokens, int64_t T, int64_t start_pos, LatentCache& cache, float* logits,
               AttnMode mode = AttnMode::Auto, float* all_logits = nullptr, float* hidden = nullptr) const;

  // One decode step: `token` at position `pos`, logits (vocab_size) of the next. The same arithmetic as that
  // sequence's row in any forward_rows() batch (LinearPass::Decode, absorbed attention under Auto).
  void decode(int32_t token, int64_t pos, LatentCache& cache, float* logits, AttnMode mode = AttnMode::Auto) const;

  // forward(), additionally writing the final-norm hidden state of every position (T, dim) to all_hidden (what
  // the MTP module needs for a prompt) while computing logits for the last position only.
  void forward_hidden(const int32_t* tokens, int64_t T, int64_t start_pos, LatentCache& cache, float* logits,
                      float* all_hidden, AttnMode mode = AttnMode::Auto) const;

  // One step over rows from any number of sequences (continuous batching): row i is token[i] at position
  // pos[i] of the sequence whose cache is cache[i]. Logits are written, in row order, for the rows with
  // want_logits[i] (vocab_size each). Absorbed attention; every weight is read once for all rows. A decode pass
  // (LinearPass::Decode): each row's numbers are those of decode() alone, whatever else is in the batch.
  struct Row {
    int32_t token;
    int64_t pos;
    LatentCache* cache;
    bool want_logits;
  };
  // hidden (optional): the final-norm hidden state of each row with want_logits (dim each), what the MTP
  // module takes as its input.
  void forward_rows(const std::vector<Row>& rows, float* logits, float* hidden = nullptr) const;

  // The first multi-token-prediction module (DeepSeek-V3 §2.2; = the MTP layer at index num_hidden_layers):
  // row i combines the main model's final-norm hidden state h[i] (dim) at position pos[i] with the embedding of
  // the next token next[i], runs the module's block (attention over the cache's MTP layer n_layers), and writes
  // logits predicting the token after next[i]. The cache needs the extra layer (LatentKVCache extra_layers = 1).
  struct MTPRow {
    int32_t next;
    int64_t pos;
    LatentCache* cache;
    const float* h;
  };
  bool has_mtp() const { return !w_.mtp.empty(); }
  void mtp_forward(const std::vector<MTPRow>& rows, float* logits) const;

 private:
  std::string dir_;
  ModelConfig cfg_;
  std::unique_ptr<Checkpoint> ck_;
  // The shared body: embeddings of rows -> final-norm hidden states of the rows in `out_rows`.
  // all_hidden (optional): every row's final-norm hidden state.
  // pass: Prompt or Decode, for every matmul of the rows (quant/weight.h).
  void run(const std::vector<Row>& rows, AttnImpl impl, LinearPass pass, const std::vector<int64_t>& out_rows,
           float* logits, float* hidden = nullptr, float* all_hidden = nullptr) const;
  // One decoder block (= model.py Block.forward) on the residual stream h (N, dim), in place (rows.pass: the
  // matmul kernels).
  void block(const BlockWeights& L, int64_t layer, AttnImpl impl, const MLARows& rows, float* h) const;

  ModelWeights w_;
  Rope rope_;
};

}  // namespace r1
