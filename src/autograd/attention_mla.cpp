#include "autograd/attention_mla.h"

#include <cmath>

#include "autograd/blas.h"
#include "autograd/linear.h"
#include "autograd/norm.h"
#include "autograd/prof.h"
#include "kernels/vexp.h"
#include "core/error.h"

namespace r1::ag {

template <class T>
void attention_forward(T* o, T* probs, const T* q, const T* k, const T* v, int64_t B, int64_t S, int64_t H,
                       int64_t dqk, int64_t dv, double scale) {
  const prof::Scope ps("attn core fwd");
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < H; ++h) {
      const T* qh = q + (b * S * H + h) * dqk;  // rows s: stride H * dqk
      const T* kh = k + (b * S * H + h) * dqk;
      const T* vh = v + (b * S * H + h) * dv;
      T* oh = o + (b * S * H + h) * dv;
      T* P = probs + (b * H + h) * S * S;  // (S, S)
      gemm(false, true, S, S, dqk, T(scale), qh, H * dqk, kh, H * dqk, T(0), P, S);
      for (int64_t t = 0; t < S; ++t) {  // causal softmax over s <= t (max-subtracted, sum in double)
        T* r = P + t * S;
        T m = r[0];
        for (int64_t s = 1; s <= t; ++s) m = r[s] > m ? r[s] : m;
        for (int64_t s = 0; s <= t; ++s) r[s] = vexp(r[s] - m);  // vectorized
        double sum = 0.0;
        for (int64_t s = 0; s <= t; ++s) sum += double(r[s]);
        const T inv = T(1.0 / sum);
        for (int64_t s = 0; s <= t; ++s) r[s] *= inv;
        for (int64_t s = t + 1; s < S; ++s) r[s] = T(0);
      }
      gemm(false, false, S, dv, S, T(1), P, S, vh, H * dv, T(0), oh, H * dv);
    }
}

template <class T>
void attention_backward(T* dq, T* dk, T* dvv, const T* dout, const T* q, const T* k, const T* v, const T* probs,
                        int64_t B, int64_t S, int64_t H, int64_t dqk, int64_t dv, double scale) {
  const prof::Scope ps("attn core bwd");
  std::vector<T> dP(size_t(S * S));  // (S, S) dL/dprobs, then dL/dscores (pre-scale)
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < H; ++h) {
      const int64_t qoff = (b * S * H + h) * dqk, voff = (b * S * H + h) * dv;
      const T* P = probs + (b * H + h) * S * S;
      gemm(false, true, S, S, dv, T(1), dout + voff, H * dv, v + voff, H * dv, T(0), dP.data(), S);
      gemm(true, false, S, dv, S, T(1), P, S, dout + voff, H * dv, T(1), dvv + voff, H * dv);
      for (int64_t t = 0; t < S; ++t) {  // softmax backward: dS = P * (dP - sum(P * dP))
        const T* pr = P + t * S;
        T* dr = &dP[size_t(t * S)];
        T dot = 0;
        for (int64_t s = 0; s <= t; ++s) dot += pr[s] * dr[s];
        for (int64_t s = 0; s <= t; ++s) dr[s] = pr[s] * (dr[s] - dot);
        for (int64_t s = t + 1; s < S; ++s) dr[s] = T(0);
      }
      gemm(false, false, S, dqk, S, T(scale), dP.data(), S, k + qoff, H * dqk, T(1), dq + qoff, H * dqk);
      gemm(true, false, S, dqk, S, T(scale), dP.data(), S, q + qoff, H * dqk, T(1), dk + qoff, H * dqk);
    }
}

template <class T>
void mla_forward(const ModelConfig& c, const RopeTable<T>& rope, const MLAParams<T>& p, MLAActs<T>& a, const T* x,
                 int64_t B, int64_t S, T* out) {
  const prof::Scope ps("mla fwd");
  const int64_t N = B * S, D = c.dim, H = c.n_heads, nope = c.qk_nope_head_dim, rp = c.qk_rope_head_dim;
  const int64_t qk = c.qk_head_dim(), dv = c.v_head_dim, kvr = c.kv_lora_rank, ql = c.q_lora_rank;
  const T* none = nullptr;
  a.q.resize(size_t(N * H * qk));
  if (ql == 0) {
    require(p.wq != nullptr, "mla: q_lora_rank is 0 but wq is not bound");
    linear_forward(a.q.data(), x, p.wq, none, N, D, H * qk);
  } else {
    require(p.wq_a && p.q_norm && p.wq_b, "mla: q-LoRA weights (wq_a, q_norm, wq_b) are not bound");
    a.qa.resize(size_t(N * ql));
    a.qn.resize(size_t(N * ql));
    a.q_rstd.resize(static_cast<size_t>(N));
    linear_forward(a.qa.data(), x, p.wq_a, none, N, D, ql);
    rmsnorm_forward(a.qn.data(), a.q_rstd.data(), a.qa.data(), p.q_norm, N, ql, c.rms_norm_eps);
    linear_forward(a.q.data(), a.qn.data(), p.wq_b, none, N, ql, H * qk);
  }
  rope_forward(a.q.data(), rope, B, S, H, qk, nope);

  std::vector<T> kv(size_t(N * (kvr + rp)));  // (B, S, kv_lora_rank + qk_rope_head_dim)
  linear_forward(kv.data(), x, p.wkv_a, none, N, D, kvr + rp);
  a.latent.resize(size_t(N * kvr));
  std::vector<T> kpe(size_t(N * rp));  // (B, S, qk_rope_head_dim)
  for (int64_t n = 0; n < N; ++n) {
    for (int64_t i = 0; i < kvr; ++i) a.latent[size_t(n * kvr + i)] = kv[size_t(n * (kvr + rp) + i)];
    for (int64_t i = 0; i < rp; ++i) kpe[size_t(n * rp + i)] = kv[size_t(n * (kvr + rp) + kvr + i)];
  }
  a.kn.resize(size_t(N * kvr));
  a.kv_rstd.resize(static_cast<size_t>(N));
  rmsnorm_forward(a.kn.data(), a.kv_rstd.data(), a.latent.data(), p.kv_norm, N, kvr, c.rms_norm_eps);
  rope_forward(kpe.data(), rope, B, S, 1, rp, 0);

  std::vector<T> kvb(size_t(N * H * (nope + dv)));  // (B, S, n_heads, qk_nope_head_dim + v_head_dim)
  linear_forward(kvb.data(), a.kn.data(), p.wkv_b, none, N, kvr, H * (nope + dv));
  a.k.resize(size_t(N * H * qk));
  a.v.resize(size_t(N * H * dv));
  for (int64_t n = 0; n < N; ++n)
    for (int64_t h = 0; h < H; ++h) {
      const T* src = &kvb[size_t((n * H + h) * (nope + dv))];
      T* kr = &a.k[size_t((n * H + h) * qk)];
      for (int64_t i = 0; i < nope; ++i) kr[i] = src[i];
      for (int64_t i = 0; i < rp; ++i) kr[nope + i] = kpe[size_t(n * rp + i)];
      for (int64_t i = 0; i < dv; ++i) a.v[size_t((n * H + h) * dv + i)] = src[nope + i];
    }

  a.probs.resize(size_t(B * H * S * S));
  a.o.resize(size_t(N * H * dv));
  attention_forward(a.o.data(), a.probs.data(), a.q.data(), a.k.data(), a.v.data(), B, S, H, qk, dv, c.softmax_scale());
  linear_forward(out, a.o.data(), p.wo, none, N, H * dv, D);
}

template <class T>
void mla_backward(const ModelConfig& c, const RopeTable<T>& rope, const MLAParams<T>& p, const MLAParams<T>& g,
                  const MLAActs<T>& a, const T* x, int64_t B, int64_t S, const T* dout, T* dx) {
  const prof::Scope ps("mla bwd");
  const int64_t N = B * S, D = c.dim, H = c.n_heads, nope = c.qk_nope_head_dim, rp = c.qk_rope_head_dim;
  const int64_t qk = c.qk_head_dim(), dv = c.v_head_dim, kvr = c.kv_lora_rank, ql = c.q_lora_rank;
  T* none = nullptr;

  std::vector<T> d_o(size_t(N * H * dv), T(0));  // (B, S, n_heads, v_head_dim)
  linear_backward(d_o.data(), g.wo, none, dout, a.o.data(), p.wo, N, H * dv, D);
  std::vector<T> dq(size_t(N * H * qk), T(0)), dk(size_t(N * H * qk), T(0));  // (B, S, n_heads, qk_head_dim)
  std::vector<T> dvv(size_t(N * H * dv), T(0));                                // (B, S, n_heads, v_head_dim)
  attention_backward(dq.data(), dk.data(), dvv.data(), d_o.data(), a.q.data(), a.k.data(), a.v.data(),
                     a.probs.data(), B, S, H, qk, dv, c.softmax_scale());

  // Split dk / dv back into wkv_b's output and the shared k_pe head.
  std::vector<T> dkvb(size_t(N * H * (nope + dv)));  // (B, S, n_heads, qk_nope_head_dim + v_head_dim)
  std::vector<T> dkv(size_t(N * (kvr + rp)), T(0));   // (B, S, kv_lora_rank + qk_rope_head_dim)
  for (int64_t n = 0; n < N; ++n)
    for (int64_t h = 0; h < H; ++h) {
      T* dst = &dkvb[size_t((n * H + h) * (nope + dv))];
      const T* dkr = &dk[size_t((n * H + h) * qk)];
      for (int64_t i = 0; i < nope; ++i) dst[i] = dkr[i];
      for (int64_t i = 0; i < dv; ++i) dst[nope + i] = dvv[size_t((n * H + h) * dv + i)];
      for (int64_t i = 0; i < rp; ++i) dkv[size_t(n * (kvr + rp) + kvr + i)] += dkr[nope + i];
    }
  rope_backward(dkv.data(), rope, B, S, 1, kvr + rp, kvr);

  std::vector<T> dkn(size_t(N * kvr), T(0)), dlat(size_t(N * kvr), T(0));  // (B, S, kv_lora_rank)
  linear_backward(dkn.data(), g.wkv_b, none, dkvb.data(), a.kn.data(), p.wkv_b, N, kvr, H * (nope + dv));
  rmsnorm_backward(dlat.data(), g.kv_norm, dkn.data(), a.latent.data(), p.kv_norm, a.kv_rstd.data(), N, kvr);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t i = 0; i < kvr; ++i) dkv[size_t(n * (kvr + rp) + i)] = dlat[size_t(n * kvr + i)];
  linear_backward(dx, g.wkv_a, none, dkv.data(), x, p.wkv_a, N, D, kvr + rp);

  rope_backward(dq.data(), rope, B, S, H, qk, nope);
  if (ql == 0) {
    linear_backward(dx, g.wq, none, dq.data(), x, p.wq, N, D, H * qk);
  } else {
    std::vector<T> dqn(size_t(N * ql), T(0)), dqa(size_t(N * ql), T(0));  // (B, S, q_lora_rank)
    linear_backward(dqn.data(), g.wq_b, none, dq.data(), a.qn.data(), p.wq_b, N, ql, H * qk);
    rmsnorm_backward(dqa.data(), g.q_norm, dqn.data(), a.qa.data(), p.q_norm, a.q_rstd.data(), N, ql);
    linear_backward(dx, g.wq_a, none, dqa.data(), x, p.wq_a, N, D, ql);
  }
}

#define R1_INSTANTIATE(T)                                                                                        \
  template void attention_forward<T>(T*, T*, const T*, const T*, const T*, int64_t, int64_t, int64_t, int64_t,   \
                                     int64_t, double);                                                          \
  template void attention_backward<T>(T*, T*, T*, const T*, const T*, const T*, const T*, const T*, int64_t,     \
                                      int64_t, int64_t, int64_t, int64_t, double);                              \
  template void mla_forward<T>(const ModelConfig&, const RopeTable<T>&, const MLAParams<T>&, MLAActs<T>&,        \
                               const T*, int64_t, int64_t, T*);                                                 \
  template void mla_backward<T>(const ModelConfig&, const RopeTable<T>&, const MLAParams<T>&, const MLAParams<T>&, \
                                const MLAActs<T>&, const T*, int64_t, int64_t, const T*, T*);
R1_INSTANTIATE(float)
R1_INSTANTIATE(double)
#undef R1_INSTANTIATE

}  // namespace r1::ag
