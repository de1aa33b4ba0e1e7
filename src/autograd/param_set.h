// The trainable parameters of a DeepSeek model and their gradients: one contiguous buffer each, split into
// named tensors with the Hugging Face names of the published checkpoints (io/hf_names), so a trained model
// can be written as an HF checkpoint and an HF checkpoint (r1 init, or any BF16/FP8 release) loaded to train.
//
// The MTP modules share the main model's embedding and output head (DeepSeek-V3 §2.2): the set holds them
// once. A checkpoint stores copies (layers.{n}.embed_tokens / shared_head.head); loading ignores those and
// a writer duplicates the main tensors. e_score_correction_bias is held but not trainable (the auxiliary-
// loss-free balancing rule updates it, not the gradient).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "io/safetensors.h"
#include "model/config.h"

namespace r1::ag {

struct ParamInfo {
  std::string name;            // Hugging Face name, e.g. "model.layers.0.self_attn.q_a_proj.weight"
  std::vector<int64_t> shape;  // PyTorch order
  int64_t offset = 0;          // into values() / grads()
  int64_t numel = 0;
  bool trainable = true;
};

template <class T>
class ParamSet {
 public:
  // Every tensor the config calls for, zero-filled, in checkpoint order (embed, layers, norm, head, MTP).
  explicit ParamSet(const ModelConfig& c);

  const ModelConfig& config() const { return cfg_; }
  const std::vector<ParamInfo>& tensors() const { return tensors_; }
  bool has(const std::string& name) const { return index_.count(name) != 0; }
  const ParamInfo& info(const std::string& name) const;  // r1::Error naming the tensor when absent
  T* value(const std::string& name) { return values_.data() + info(name).offset; }
  T* grad(const std::string& name) { return grads_.data() + info(name).offset; }
  std::vector<T>& values() { return values_; }
  std::vector<T>& grads() { return grads_; }
  const std::vector<T>& values() const { return values_; }
  const std::vector<T>& grads() const { return grads_; }
  int64_t numel() const { return int64_t(values_.size()); }
  void zero_grad();

 private:
  void add(const std::string& ours, std::vector<int64_t> shape, bool trainable = true);
  ModelConfig cfg_;
  std::vector<ParamInfo> tensors_;
  std::map<std::string, size_t> index_;
  std::vector<T> values_, grads_;
};

// Fills every tensor of `ps` from the checkpoint, whatever its stored format (F32, BF16, F16, FP8 e4m3 with
// block scales), converted exactly to f32 and then to T. Missing tensors or wrong shapes throw r1::Error.
template <class T>
void load_params(ParamSet<T>& ps, const Checkpoint& ck);

}  // namespace r1::ag
