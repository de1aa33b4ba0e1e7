#include "autograd/mtp.h"

#include "autograd/embedding.h"
#include "autograd/linear.h"
#include "autograd/norm.h"

namespace r1::ag {

template <class T>
void mtp_forward(const ModelConfig& c, const RopeTable<T>& rope, const MTPParams<T>& p, const T* embed, const T* head,
                 MTPActs<T>& a, const T* h, const int32_t* next, int64_t B, int64_t S) {
  const int64_t N = B * S, D = c.dim, V = c.vocab_size;
  a.emb.resize(size_t(N * D));
  a.e_rstd.resize(size_t(N));
  a.h_rstd.resize(size_t(N));
  a.cat.resize(size_t(N * 2 * D));
  a.hp.resize(size_t(N * D));
  a.out.resize(size_t(N * D));
  a.o_rstd.resize(size_t(N));
  a.logits.resize(size_t(N * V));
  embedding_forward(a.emb.data(), next, embed, N, V, D);
  std::vector<T> en(size_t(N * D)), hn(size_t(N * D));  // (B, S, dim)
  rmsnorm_forward(en.data(), a.e_rstd.data(), a.emb.data(), p.enorm, N, D, c.rms_norm_eps);
  rmsnorm_forward(hn.data(), a.h_rstd.data(), h, p.hnorm, N, D, c.rms_norm_eps);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t d = 0; d < D; ++d) {
      a.cat[size_t(n * 2 * D + d)] = en[size_t(n * D + d)];
      a.cat[size_t(n * 2 * D + D + d)] = hn[size_t(n * D + d)];
    }
  linear_forward(a.hp.data(), a.cat.data(), p.eh_proj, (const T*)nullptr, N, 2 * D, D);
  block_forward(c, rope, p.block, a.block, a.hp.data(), B, S);
  rmsnorm_forward(a.out.data(), a.o_rstd.data(), a.block.out.data(), p.norm, N, D, c.rms_norm_eps);
  linear_forward(a.logits.data(), a.out.data(), head, (const T*)nullptr, N, D, V);
}

template <class T>
void mtp_backward(const ModelConfig& c, const RopeTable<T>& rope, const MTPParams<T>& p, const MTPParams<T>& g,
                  const T* embed, const T* head, T* dembed, T* dhead, const MTPActs<T>& a, const T* h,
                  const int32_t* next, int64_t B, int64_t S, const T* dlogits, const T* dout, T* dh) {
  const int64_t N = B * S, D = c.dim, V = c.vocab_size;
  std::vector<T> dhk(size_t(N * D), T(0));  // (B, S, dim) dL/dh^k
  if (dout)
    for (int64_t i = 0; i < N * D; ++i) dhk[size_t(i)] = dout[i];
  linear_backward(dhk.data(), dhead, (T*)nullptr, dlogits, a.out.data(), head, N, D, V);
  std::vector<T> dblk(size_t(N * D), T(0));  // (B, S, dim) dL/d(block output)
  rmsnorm_backward(dblk.data(), g.norm, dhk.data(), a.block.out.data(), p.norm, a.o_rstd.data(), N, D);
  std::vector<T> dhp(size_t(N * D), T(0));  // (B, S, dim)
  block_backward(c, rope, p.block, g.block, a.block, a.hp.data(), B, S, dblk.data(), dhp.data());
  std::vector<T> dcat(size_t(N * 2 * D), T(0));  // (B, S, 2 * dim)
  linear_backward(dcat.data(), g.eh_proj, (T*)nullptr, dhp.data(), a.cat.data(), p.eh_proj, N, 2 * D, D);
  std::vector<T> den(size_t(N * D)), dhn(size_t(N * D)), demb(size_t(N * D), T(0));  // (B, S, dim)
  for (int64_t n = 0; n < N; ++n)
    for (int64_t d = 0; d < D; ++d) {
      den[size_t(n * D + d)] = dcat[size_t(n * 2 * D + d)];
      dhn[size_t(n * D + d)] = dcat[size_t(n * 2 * D + D + d)];
    }
  rmsnorm_backward(demb.data(), g.enorm, den.data(), a.emb.data(), p.enorm, a.e_rstd.data(), N, D);
  rmsnorm_backward(dh, g.hnorm, dhn.data(), h, p.hnorm, a.h_rstd.data(), N, D);
  if (dembed) embedding_backward(dembed, demb.data(), next, N, D);
}

#define R1_INSTANTIATE(T)                                                                                         \
  template void mtp_forward<T>(const ModelConfig&, const RopeTable<T>&, const MTPParams<T>&, const T*, const T*,  \
                               MTPActs<T>&, const T*, const int32_t*, int64_t, int64_t);                         \
  template void mtp_backward<T>(const ModelConfig&, const RopeTable<T>&, const MTPParams<T>&, const MTPParams<T>&, \
                                const T*, const T*, T*, T*, const MTPActs<T>&, const T*, const int32_t*, int64_t, \
                                int64_t, const T*, const T*, T*);
R1_INSTANTIATE(float)
R1_INSTANTIATE(double)
#undef R1_INSTANTIATE

}  // namespace r1::ag
