#include "autograd/block.h"

#include <algorithm>

#include "autograd/norm.h"
#include "autograd/prof.h"

namespace r1::ag {

template <class T>
void block_forward(const ModelConfig& c, const RopeTable<T>& rope, const BlockParams<T>& p, BlockActs<T>& a,
                   const T* h, int64_t B, int64_t S) {
  const int64_t N = B * S, D = c.dim;
  a.x1.resize(size_t(N * D));
  a.rstd1.resize(size_t(N));
  a.y.resize(size_t(N * D));
  a.h2.resize(size_t(N * D));
  a.x2.resize(size_t(N * D));
  a.rstd2.resize(size_t(N));
  a.out.resize(size_t(N * D));
  const prof::Scope ps("block fwd");
  rmsnorm_forward(a.x1.data(), a.rstd1.data(), h, p.attn_norm, N, D, c.rms_norm_eps);
  mla_forward(c, rope, p.attn, a.attn, a.x1.data(), B, S, a.y.data());
  for (int64_t i = 0; i < N * D; ++i) a.h2[size_t(i)] = h[i] + a.y[size_t(i)];  // x = x + attn(attn_norm(x))
  rmsnorm_forward(a.x2.data(), a.rstd2.data(), a.h2.data(), p.ffn_norm, N, D, c.rms_norm_eps);
  if (p.is_moe) moe_forward(c, p.moe, a.moe, a.x2.data(), N, a.y.data());
  else mlp_forward(p.mlp, a.mlp, a.x2.data(), N, D, a.y.data());
  for (int64_t i = 0; i < N * D; ++i) a.out[size_t(i)] = a.h2[size_t(i)] + a.y[size_t(i)];  // x = x + ffn(ffn_norm(x))
}

template <class T>
void block_backward(const ModelConfig& c, const RopeTable<T>& rope, const BlockParams<T>& p, const BlockParams<T>& g,
                    const BlockActs<T>& a, const T* h, int64_t B, int64_t S, const T* dout, T* dh,
                    const T* dscores) {
  const prof::Scope ps("block bwd");
  const int64_t N = B * S, D = c.dim;
  std::vector<T> dh2(dout, dout + N * D);  // (B, S, dim): the residual path, then + the ffn branch
  std::vector<T> dx(size_t(N * D), T(0));  // (B, S, dim) gradient of a norm output
  if (p.is_moe) moe_backward(c, p.moe, g.moe, a.moe, a.x2.data(), N, dout, dx.data(), dscores);
  else mlp_backward(p.mlp, g.mlp, a.mlp, a.x2.data(), N, D, dout, dx.data());
  rmsnorm_backward(dh2.data(), g.ffn_norm, dx.data(), a.h2.data(), p.ffn_norm, a.rstd2.data(), N, D);
  for (int64_t i = 0; i < N * D; ++i) dh[i] += dh2[size_t(i)];
  std::fill(dx.begin(), dx.end(), T(0));
  mla_backward(c, rope, p.attn, g.attn, a.attn, a.x1.data(), B, S, dh2.data(), dx.data());
  rmsnorm_backward(dh, g.attn_norm, dx.data(), h, p.attn_norm, a.rstd1.data(), N, D);
}

#define R1_INSTANTIATE(T)                                                                                        \
  template void block_forward<T>(const ModelConfig&, const RopeTable<T>&, const BlockParams<T>&, BlockActs<T>&,  \
                                 const T*, int64_t, int64_t);                                                   \
  template void block_backward<T>(const ModelConfig&, const RopeTable<T>&, const BlockParams<T>&,               \
                                  const BlockParams<T>&, const BlockActs<T>&, const T*, int64_t, int64_t,       \
                                  const T*, T*, const T*);
R1_INSTANTIATE(float)
R1_INSTANTIATE(double)
#undef R1_INSTANTIATE

}  // namespace r1::ag
