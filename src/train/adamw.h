// AdamW (Loshchilov & Hutter: decoupled weight decay) with bias correction, over one flat f32 parameter
// buffer split into segments (a model's tensors). Norm weights, biases and other 1-D tensors are usually not
// decayed; non-trainable segments (the MoE router's balancing bias) are left untouched.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace r1::train {

struct AdamWOptions {
  double beta1 = 0.9, beta2 = 0.95, eps = 1e-8;
  double weight_decay = 0.1;
};

struct Segment {
  int64_t offset = 0, numel = 0;
  bool decay = true;       // apply weight decay
  bool trainable = true;   // update at all
};

class AdamW {
 public:
  AdamW(int64_t n, AdamWOptions o) : opt_(o), m_(size_t(n), 0.0f), v_(size_t(n), 0.0f) {}
  // One step at learning rate lr: for each trainable element
  //   m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;  w -= lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
  //   and, for decayed segments, first w -= lr * weight_decay * w.
  void step(float* w, const float* g, const std::vector<Segment>& segments, double lr);
  int64_t steps() const { return t_; }
  // State for checkpoints: first and second moments and the step count.
  std::vector<float>& m() { return m_; }
  std::vector<float>& v() { return v_; }
  void set_steps(int64_t t) { t_ = t; }
  const AdamWOptions& options() const { return opt_; }

 private:
  AdamWOptions opt_;
  std::vector<float> m_, v_;
  int64_t t_ = 0;
};

// Scales g (over the trainable segments) so its global L2 norm is at most max_norm (max_norm <= 0: no clipping).
// Returns the norm before clipping (accumulated in double).
double clip_grad_norm(float* g, const std::vector<Segment>& segments, double max_norm);

}  // namespace r1::train
