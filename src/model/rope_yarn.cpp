#include "model/rope_yarn.h"

#include <algorithm>
#include <cmath>

#include "kernels/ops.h"

namespace r1 {

std::vector<double> rope_inv_freq(const ModelConfig& c) {
  const int64_t d = c.rope_dim();
  const double base = c.rope_theta;
  std::vector<double> f(size_t(d / 2));
  for (int64_t i = 0; i < d / 2; ++i) f[size_t(i)] = std::pow(base, -2.0 * double(i) / double(d));
  if (c.llama3.enabled) {
    const Llama3RopeConfig& l = c.llama3;
    const double orig = double(l.original_seq_len);
    const double low_wavelen = orig / l.low_freq_factor, high_wavelen = orig / l.high_freq_factor;
    for (auto& fi : f) {
      const double wavelen = 2.0 * M_PI / fi;
      if (wavelen < high_wavelen) continue;
      if (wavelen > low_wavelen) {
        fi /= l.factor;
        continue;
      }
      const double smooth = (orig / wavelen - l.low_freq_factor) / (l.high_freq_factor - l.low_freq_factor);
      fi = (1.0 - smooth) * fi / l.factor + smooth * fi;
    }
    return f;
  }
  if (!c.yarn.enabled) return f;
  const YarnConfig& y = c.yarn;
  // Dimension index at which a wavelength makes `rotations` turns over the original context.
  auto correction_dim = [&](double rotations) {
    return double(d) * std::log(double(y.original_seq_len) / (rotations * 2.0 * M_PI)) / (2.0 * std::log(base));
  };
  const double low = std::max(std::floor(correction_dim(y.beta_fast)), 0.0);
  double high = std::min(std::ceil(correction_dim(y.beta_slow)), double(d - 1));
  if (low == high) high += 0.001;
  for (int64_t i = 0; i < d / 2; ++i) {
    const double ramp = std::clamp((double(i) - low) / (high - low), 0.0, 1.0);
    f[size_t(i)] = f[size_t(i)] / y.factor * ramp + f[size_t(i)] * (1.0 - ramp);
  }
  return f;
}

Rope::Rope(const ModelConfig& c) : dim_(c.rope_dim()), style_(c.rope_style), inv_freq_(rope_inv_freq(c)), attn_factor_(1.0) {
  if (c.yarn.enabled)
    attn_factor_ = yarn_mscale(c.yarn.factor, c.yarn.mscale) / yarn_mscale(c.yarn.factor, c.yarn.mscale_all_dim);
  const size_t n = inv_freq_.size();
  table_positions_ = std::min<int64_t>(kTablePositions, std::max<int64_t>(c.max_seq_len, 1));
  cos_.resize(size_t(table_positions_) * n);
  sin_.resize(cos_.size());
  for (int64_t p = 0; p < table_positions_; ++p) angles(p, &cos_[size_t(p) * n], &sin_[size_t(p) * n]);
}

void Rope::angles(int64_t pos, float* c, float* s) const {
  for (size_t i = 0; i < inv_freq_.size(); ++i) {
    const double a = double(pos) * inv_freq_[i];
    c[i] = float(std::cos(a) * attn_factor_);
    s[i] = float(std::sin(a) * attn_factor_);
  }
}

void Rope::apply(float* x, int64_t pos, int64_t n_heads, int64_t stride) const {
  const size_t n = inv_freq_.size();
  std::vector<float> cv, sv;
  const float *c, *s;
  if (pos >= 0 && pos < table_positions_) {
    c = &cos_[size_t(pos) * n];
    s = &sin_[size_t(pos) * n];
  } else {
    cv.resize(n);
    sv.resize(n);
    angles(pos, cv.data(), sv.data());
    c = cv.data();
    s = sv.data();
  }
  for (int64_t h = 0; h < n_heads; ++h) {
    if (style_ == RopeStyle::NeoX) ops::rope_neox(x + h * stride, c, s, dim_);
    else ops::rope_interleaved(x + h * stride, c, s, dim_);
  }
}

}  // namespace r1
