#include "autograd/rope.h"

#include <cmath>

#include "core/error.h"
#include "model/rope_yarn.h"

namespace r1::ag {

template <class T>
RopeTable<T> rope_table(const ModelConfig& c, int64_t seq_len) {
  require(c.qk_rope_head_dim % 2 == 0, "rope: qk_rope_head_dim must be even");
  const std::vector<double> inv_freq = rope_inv_freq(c);
  double factor = 1.0;
  if (c.yarn.enabled) factor = yarn_mscale(c.yarn.factor, c.yarn.mscale) / yarn_mscale(c.yarn.factor, c.yarn.mscale_all_dim);
  RopeTable<T> t;
  t.seq_len = seq_len;
  t.half = int64_t(inv_freq.size());
  t.cos.resize(size_t(seq_len * t.half));
  t.sin.resize(size_t(seq_len * t.half));
  for (int64_t p = 0; p < seq_len; ++p)
    for (int64_t i = 0; i < t.half; ++i) {
      const double a = double(p) * inv_freq[size_t(i)];
      t.cos[size_t(p * t.half + i)] = T(std::cos(a) * factor);
      t.sin[size_t(p * t.half + i)] = T(std::sin(a) * factor);
    }
  return t;
}

namespace {

// sign = +1 rotates by +angle (forward), -1 applies the transpose (backward).
template <class T>
void rotate(T* x, const RopeTable<T>& t, int64_t B, int64_t S, int64_t H, int64_t stride, int64_t off, T sign) {
  require(S <= t.seq_len, "rope: sequence longer than the rope table");
  for (int64_t b = 0; b < B; ++b)
    for (int64_t s = 0; s < S; ++s) {
      const T* c = &t.cos[size_t(s * t.half)];
      const T* sn = &t.sin[size_t(s * t.half)];
      for (int64_t h = 0; h < H; ++h) {
        T* r = x + ((b * S + s) * H + h) * stride + off;
        for (int64_t i = 0; i < t.half; ++i) {
          const T a = r[2 * i], bb = r[2 * i + 1], si = sign * sn[i];
          r[2 * i] = a * c[i] - bb * si;
          r[2 * i + 1] = a * si + bb * c[i];
        }
      }
    }
}

}  // namespace

template <class T>
void rope_forward(T* x, const RopeTable<T>& t, int64_t B, int64_t S, int64_t H, int64_t stride, int64_t off) {
  rotate(x, t, B, S, H, stride, off, T(1));
}

template <class T>
void rope_backward(T* d, const RopeTable<T>& t, int64_t B, int64_t S, int64_t H, int64_t stride, int64_t off) {
  rotate(d, t, B, S, H, stride, off, T(-1));
}

#define R1_INSTANTIATE(T)                                                                                \
  template RopeTable<T> rope_table<T>(const ModelConfig&, int64_t);                                     \
  template void rope_forward<T>(T*, const RopeTable<T>&, int64_t, int64_t, int64_t, int64_t, int64_t);   \
  template void rope_backward<T>(T*, const RopeTable<T>&, int64_t, int64_t, int64_t, int64_t, int64_t);
R1_INSTANTIATE(float)
R1_INSTANTIATE(double)
#undef R1_INSTANTIATE

}  // namespace r1::ag
