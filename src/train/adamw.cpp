#include "train/adamw.h"

#include <cmath>

namespace r1::train {

void AdamW::step(float* w, const float* g, const std::vector<Segment>& segments, double lr) {
  ++t_;
  const double b1 = opt_.beta1, b2 = opt_.beta2;
  const double c1 = 1.0 - std::pow(b1, double(t_)), c2 = 1.0 - std::pow(b2, double(t_));
  const float fb1 = float(b1), fb2 = float(b2), fc1 = float(c1), fc2 = float(c2), flr = float(lr);
  const float feps = float(opt_.eps), fdecay = float(lr * opt_.weight_decay);
  for (const Segment& s : segments) {
    if (!s.trainable) continue;
    const int64_t end = s.offset + s.numel;
#pragma omp parallel for schedule(static) if (s.numel >= (int64_t(1) << 15))
    for (int64_t i = s.offset; i < end; ++i) {
      const float gi = g[i];
      m_[size_t(i)] = fb1 * m_[size_t(i)] + (1.0f - fb1) * gi;
      v_[size_t(i)] = fb2 * v_[size_t(i)] + (1.0f - fb2) * gi * gi;
      if (s.decay) w[i] -= fdecay * w[i];
      const float mh = m_[size_t(i)] / fc1, vh = v_[size_t(i)] / fc2;
      w[i] -= flr * mh / (std::sqrt(vh) + feps);
    }
  }
}

double clip_grad_norm(float* g, const std::vector<Segment>& segments, double max_norm) {
  double sq = 0.0;
  for (const Segment& s : segments) {
    if (!s.trainable) continue;
    for (int64_t i = s.offset; i < s.offset + s.numel; ++i) sq += double(g[i]) * double(g[i]);
  }
  const double norm = std::sqrt(sq);
  if (max_norm > 0.0 && norm > max_norm) {
    const float k = float(max_norm / norm);
    for (const Segment& s : segments)
      if (s.trainable)
        for (int64_t i = s.offset; i < s.offset + s.numel; ++i) g[i] *= k;
  }
  return norm;
}

}  // namespace r1::train
