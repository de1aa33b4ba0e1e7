#include "model/mla.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <vector>

#include "core/error.h"
#include "kernels/cpu/cache_row_ops.h"
#include "kernels/cpu/dot.h"
#include "kernels/ops.h"

namespace r1 {

namespace {

// Queries (N, H, qk_head_dim), each head [q_nope | rope(q_pe)].
std::vector<float> queries(const ModelConfig& c, const Rope& rope, const MLAWeights& w, const float* x,
                           const MLARows& rows) {
  const int64_t N = rows.n, H = c.n_heads, qk = c.qk_head_dim(), nope = c.qk_nope_head_dim;
  std::vector<float> q(size_t(N * H * qk));
  if (c.q_lora_rank == 0) {
    linear(w.wq, x, N, q.data(), rows.pass);
  } else {
    std::vector<float> qa(size_t(N * c.q_lora_rank));  // (N, q_lora_rank)
    linear(w.wq_a, x, N, qa.data(), rows.pass);
    for (int64_t t = 0; t < N; ++t) {
      float* r = &qa[size_t(t * c.q_lora_rank)];
      ops::rmsnorm(r, w.q_norm.data(), float(c.rms_norm_eps), c.q_lora_rank, r);
    }
    linear(w.wq_b, qa.data(), N, q.data(), rows.pass);
  }
  for (int64_t t = 0; t < N; ++t) rope.apply(&q[size_t(t * H * qk + nope)], rows.pos[t], H, qk);  // one sin/cos per row
  return q;
}

// = model.py attn_impl == "naive", for one prompt: kvf (S, H, nope + v) = wkv_b(latent) of every cached position.
// Per head and block of up to 64 query rows, in f32 register tiles (cpu::rows_f32): scores = [q_nope | q_pe] .
// [k_nope | k_pe] over the positions the block's last row can see (causal: later blocks see more), softmax per
// row up to its own position, then out = P v against v transposed, zero-padded to a multiple of 8 positions.
// Each (row, position) score and each output sums in one fixed order whatever the block and the prompt's split
// into chunks: the zero weights past a row's position add exact zeros in the same lanes. (sgemm, used before,
// sums in an order that depends on the matrix sizes, so a prompt computed in chunks differed in its last bits.)
void attend_naive(const ModelConfig& c, int64_t layer, const MLAWeights& w, const std::vector<float>& q,
                  const MLARows& rows, float* o) {
  const int64_t N = rows.n, H = c.n_heads, nope = c.qk_nope_head_dim, rope = c.qk_rope_head_dim;
  const int64_t dv = c.v_head_dim, qk = c.qk_head_dim(), kvr = c.kv_lora_rank;
  LatentCache& cache = *rows.cache[0];
  for (int64_t t = 0; t < N; ++t)
    if (rows.cache[t] != &cache || rows.pos[t] != rows.pos[0] + t)
      throw Error("internal: naive attention needs one sequence at consecutive positions");
  const int64_t S = rows.pos[N - 1] + 1, S8 = (S + 7) / 8 * 8;
  const CacheRowFormat& f = cache.format();
  const auto cached = cached_rows(cache, layer, S);
  std::vector<float> lat(size_t(S * kvr)), kpe(size_t(S * rope));
  for (int64_t s = 0; s < S; ++s) {
    cache_row_load(f, cached[size_t(s)], 0, kvr, &lat[size_t(s * kvr)]);
    cache_row_load(f, cached[size_t(s)], kvr, rope, &kpe[size_t(s * rope)]);
  }
  const int64_t ldkv = H * (nope + dv), ldq = H * qk;
  std::vector<float> kvf(size_t(S * ldkv));
  linear(w.wkv_b, lat.data(), S, kvf.data(), rows.pass);
  const float scale = float(c.softmax_scale());
  constexpr int64_t kRows = 64;
  const int64_t blocks = (N + kRows - 1) / kRows;
#pragma omp parallel if (N * H * S * (nope + dv) >= (int64_t(1) << 16))
  {
    std::vector<float> keys(size_t(S * qk)), vt(size_t(dv * S8)), qb, p;
    int64_t head = -1;
#pragma omp for collapse(2) schedule(static, 1)  // round-robin: later blocks see more positions
    for (int64_t h = 0; h < H; ++h)
      for (int64_t b = 0; b < blocks; ++b) {
        if (h != head) {  // this head's keys [k_nope | k_pe] (S, qk) and values transposed (dv, S8)
          head = h;
          std::fill(vt.begin(), vt.end(), 0.0f);
          for (int64_t s = 0; s < S; ++s) {
            const float* kv = &kvf[size_t(s * ldkv + h * (nope + dv))];
            std::copy(kv, kv + nope, &keys[size_t(s * qk)]);
            std::copy(&kpe[size_t(s * rope)], &kpe[size_t((s + 1) * rope)], &keys[size_t(s * qk + nope)]);
            for (int64_t d = 0; d < dv; ++d) vt[size_t(d * S8 + s)] = kv[nope + d];
          }
        }
        const int64_t t0 = b * kRows, nt = std::min(kRows, N - t0), Sb = rows.pos[t0 + nt - 1] + 1;
        const int64_t Sb8 = (Sb + 7) / 8 * 8;
        qb.resize(size_t(nt * qk));
        for (int64_t i = 0; i < nt; ++i)
          std::copy(&q[size_t((t0 + i) * ldq + h * qk)], &q[size_t((t0 + i) * ldq + (h + 1) * qk)], &qb[size_t(i * qk)]);
        p.assign(size_t(nt * Sb8), 0.0f);
        cpu::rows_f32(keys.data(), qk, Sb, qb.data(), nt, qk, p.data(), Sb8);  // p[i, s] = key s . query i
        for (int64_t i = 0; i < nt; ++i) {
          float* pr = &p[size_t(i * Sb8)];
          const int64_t St = rows.pos[t0 + i] + 1;  // causal
          for (int64_t s = 0; s < St; ++s) pr[s] *= scale;
          ops::softmax(pr, St);
          for (int64_t s = St; s < Sb8; ++s) pr[s] = 0.0f;
        }
        cpu::rows_f32(vt.data(), S8, dv, p.data(), nt, Sb8, o + t0 * H * dv + h * dv, H * dv);
      }
  }
}

// = model.py attn_impl == "absorb". wkv_b viewed (H, nope + v, kv_lora_rank):
//   q_lat[t,h] = sum_d q_nope[t,h,d] wkv_b[h,d,:];  scores over the cached latent and k_pe;
//   ctx[t,h] = sum_s p_s latent_s;  o[t,h,d] = wkv_b[h, nope + d, :] . ctx[t,h]
// Fused over heads: each thread takes a block of heads and walks the cached rows once for all of them (scores,
// then the weighted sum), so a row (kv_lora_rank + rope values) is read from memory once per block instead of
// once per head — what matters at long contexts, where the latent cache outgrows the caches. Rows stored in
// bf16 or fp8 are converted inside the dot / axpy kernels (kernels/cpu/cache_row_ops.h), never into a temporary.
void attend_absorb(const ModelConfig& c, int64_t layer, const MLAWeights& w, const std::vector<float>& q,
                   const MLARows& rows, float* o) {
  const int64_t N = rows.n, H = c.n_heads, nope = c.qk_nope_head_dim, rope = c.qk_rope_head_dim;
  const int64_t dv = c.v_head_dim, qk = c.qk_head_dim(), kvr = c.kv_lora_rank;
  const float scale = float(c.softmax_scale());
  std::vector<std::vector<const uint8_t*>> cached(static_cast<size_t>(N));
  for (int64_t t = 0; t < N; ++t) cached[size_t(t)] = cached_rows(*rows.cache[t], layer, rows.pos[t] + 1);
  std::vector<float> q_lat(size_t(N * H * kvr), 0.0f), ctxv(size_t(N * H * kvr), 0.0f);
  int64_t work = 0;
  for (const auto& cr : cached) work += int64_t(cr.size()) + nope + dv;
  const bool par = work * H * kvr >= (int64_t(1) << 16);
  const int64_t blocks = par ? std::min<int64_t>(H, omp_get_max_threads()) : 1;
#pragma omp parallel if (par)
  {
    std::vector<float> rowbuf(static_cast<size_t>(8 * kvr)), p, qcat, sl(static_cast<size_t>(H)), sr(static_cast<size_t>(H));
    const float* wr[8];
    // Per-head operands of the row-kernel matmuls: gather(src, stride, n) returns N rows of n values, src + t *
    // stride, as one (N, n) block (src itself for N == 1); scatter(y, n, dst) writes (N, n) back the other way.
    std::vector<float> gbuf, hbuf(static_cast<size_t>(N * std::max(kvr, dv)));
    auto gather = [&](const float* src, int64_t stride, int64_t n) -> const float* {
      if (N == 1) return src;
      gbuf.resize(size_t(N * n));
      for (int64_t t = 0; t < N; ++t) std::copy(src + t * stride, src + t * stride + n, &gbuf[size_t(t * n)]);
      return gbuf.data();
    };
    auto scatter = [&](const float* y, int64_t n, float* dst) {  // dst rows of (N, H, n)
      for (int64_t t = 0; t < N; ++t) std::copy(y + t * n, y + (t + 1) * n, dst + t * H * n);
    };
    // Rows r0 .. r0 + m - 1 (m <= 8) of wkv_b as f32, into wr.
    auto load_rows = [&](int64_t r0, int64_t m) {
      for (int64_t j = 0; j < m; ++j) wr[j] = w.wkv_b.row_f32(r0 + j, &rowbuf[size_t(j * kvr)]);
    };
#pragma omp for schedule(static)
    for (int64_t b = 0; b < blocks; ++b) {
      const int64_t h0 = H * b / blocks, h1 = H * (b + 1) / blocks, hb = h1 - h0;
      // q_lat[t, h] = sum_d q_nope[t, h, d] * W_UK[h, d, :]: with W_UK transposed (wkv_b_kt) a matmul on the row
      // kernels; else eight rows of W_UK at a time, dequantized, with the accumulators in registers.
      for (int64_t h = h0; h < h1; ++h) {
        if (!w.wkv_b_kt.empty()) {
          const float* qn = gather(&q[size_t(h * qk)], H * qk, nope);
          float* ql = N == 1 ? &q_lat[size_t(h * kvr)] : hbuf.data();
          linear_rows(w.wkv_b_kt, h * kvr, (h + 1) * kvr, qn, N, ql, rows.pass);
          if (N > 1) scatter(ql, kvr, &q_lat[size_t(h * kvr)]);
          continue;
        }
        for (int64_t d0 = 0; d0 < nope; d0 += 8) {
          const int64_t m = std::min<int64_t>(8, nope - d0);
          load_rows(h * (nope + dv) + d0, m);
          for (int64_t t = 0; t < N; ++t) {
            float* ql = &q_lat[size_t((t * H + h) * kvr)];
            const float* qd = &q[size_t((t * H + h) * qk + d0)];
            if (m == 8) cpu::axpy_rows8_f32(qd, 1, wr, kvr, ql, kvr, 1);
            else
              for (int64_t j = 0; j < m; ++j) cpu::axpy_heads_f32(qd + j, wr[j], kvr, ql, kvr, 1);
          }
        }
      }
      for (int64_t t = 0; t < N; ++t) {
        const auto& cr = cached[size_t(t)];
        const CacheRowFormat& f = rows.cache[t]->format();
        const int64_t S = int64_t(cr.size());
        p.resize(size_t(hb * S));  // (heads of the block, S)
        const float* ql = &q_lat[size_t((t * H + h0) * kvr)];
        const float* qpe = &q[size_t((t * H + h0) * qk + nope)];
        int64_t s0 = 0;
        if (f.type == DType::F32 && S >= 8) {
          // Eight rows at a time per head, latent and rope key in one sum against the head's [q_lat | q_pe]
          // (a stored row is [latent | rope key]): one transpose per eight rows instead of a sum per row.
          const int64_t kw = kvr + rope;
          qcat.resize(size_t(hb * kw));
          for (int64_t h = 0; h < hb; ++h) {
            std::copy(ql + h * kvr, ql + (h + 1) * kvr, &qcat[size_t(h * kw)]);
            std::copy(qpe + h * qk, qpe + h * qk + rope, &qcat[size_t(h * kw + kvr)]);
          }
          for (; s0 + 8 <= S; s0 += 8)
            for (int64_t h = 0; h < hb; ++h) {
              float sc[8];
              cpu::cache_dot_rows8(f, &cr[size_t(s0)], 0, kw, &qcat[size_t(h * kw)], sc);
              for (int j = 0; j < 8; ++j) p[size_t(h * S + s0 + j)] = sc[j] * scale;
            }
        }
        for (int64_t s = s0; s < S; ++s) {  // one pass over the row for all the block's heads
          cpu::cache_dot_heads(f, cr[size_t(s)], 0, kvr, ql, kvr, hb, sl.data());
          cpu::cache_dot_heads(f, cr[size_t(s)], kvr, rope, qpe, qk, hb, sr.data());
          for (int64_t h = 0; h < hb; ++h) p[size_t(h * S + s)] = (sl[size_t(h)] + sr[size_t(h)]) * scale;
        }
        for (int64_t h = 0; h < hb; ++h) ops::softmax(&p[size_t(h * S)], S);
        float* ctx = &ctxv[size_t((t * H + h0) * kvr)];
        int64_t v0 = 0;
        if (f.type == DType::F32)  // eight rows at a time: the heads' accumulators stay in registers between rows
          for (; v0 + 8 <= S; v0 += 8) cpu::cache_axpy_rows8(f, &p[size_t(v0)], S, &cr[size_t(v0)], 0, kvr, ctx, kvr, hb);
        for (int64_t s = v0; s < S; ++s) {
          for (int64_t h = 0; h < hb; ++h) sl[size_t(h)] = p[size_t(h * S + s)];
          cpu::cache_axpy_heads(f, sl.data(), cr[size_t(s)], 0, kvr, ctx, kvr, hb);
        }
      }
      // o[t, h, :] = W_UV[h] ctx[t, h]: head h's v rows of wkv_b as a matmul on the row kernels (for q8 / q4 the
      // integer ones, ctx quantized to int8 blocks like any decode input).
      for (int64_t h = h0; h < h1; ++h) {
        const float* cx = gather(&ctxv[size_t(h * kvr)], H * kvr, kvr);
        float* oh = N == 1 ? o + h * dv : hbuf.data();
        const int64_t r0 = h * (nope + dv) + nope;
        linear_rows(w.wkv_b, r0, r0 + dv, cx, N, oh, rows.pass);
        if (N > 1) scatter(oh, dv, o + h * dv);
      }
    }
  }
}

}  // namespace

void add_absorb_layout(const ModelConfig& c, MLAWeights& w) {
  w.wkv_b_kt = Weight{};
  const DType t = w.wkv_b.dtype;
  if (w.wkv_b.empty() || (t != DType::BF16 && t != DType::F32)) return;
  const int64_t H = c.n_heads, nope = c.qk_nope_head_dim, dv = c.v_head_dim, kvr = c.kv_lora_rank;
  const int64_t es = t == DType::BF16 ? 2 : 4;  // element bytes
  auto bytes = std::make_shared<std::vector<uint8_t>>(size_t(H * kvr * nope * es));
  // kt[h * kvr + j][d] = wkv_b[h * (nope + dv) + d][j]
  for (int64_t h = 0; h < H; ++h)
    for (int64_t d = 0; d < nope; ++d) {
      const uint8_t* src = w.wkv_b.data + (h * (nope + dv) + d) * kvr * es;
      for (int64_t j = 0; j < kvr; ++j)
        std::memcpy(bytes->data() + ((h * kvr + j) * nope + d) * es, src + j * es, size_t(es));
    }
  Weight& k = w.wkv_b_kt;
  k.dtype = t;
  k.rows = H * kvr;
  k.cols = nope;
  k.data = bytes->data();
  k.name = w.wkv_b.name + " (k rows, transposed)";
  k.owner = bytes;
}

void mla_forward(const ModelConfig& c, const Rope& rope, int64_t layer, const MLAWeights& w, AttnImpl impl,
                 const float* x, const MLARows& rows, float* y) {
  const int64_t N = rows.n, kvr = c.kv_lora_rank, rp = c.qk_rope_head_dim;
  const std::vector<float> q = queries(c, rope, w, x, rows);
  // Keys/values: kv (N, kv_lora_rank + rope) = [latent | k_pe]; the cache keeps kv_norm(latent) | rope(k_pe).
  std::vector<float> kv(size_t(N * (kvr + rp))), r(size_t(kvr + rp));
  linear(w.wkv_a, x, N, kv.data(), rows.pass);
  for (int64_t t = 0; t < N; ++t) {
    const float* src = &kv[size_t(t * (kvr + rp))];
    ops::rmsnorm(src, w.kv_norm.data(), float(c.rms_norm_eps), kvr, r.data());
    for (int64_t i = 0; i < rp; ++i) r[size_t(kvr + i)] = src[kvr + i];
    rope.apply(r.data() + kvr, rows.pos[t]);
    rows.cache[t]->store(layer, rows.pos[t], r.data());  // rounded to the cache's storage type
  }
  std::vector<float> o(size_t(N * c.n_heads * c.v_head_dim));  // (N, H, v_head_dim)
  if (impl == AttnImpl::Naive) attend_naive(c, layer, w, q, rows, o.data());
  else attend_absorb(c, layer, w, q, rows, o.data());
  linear(w.wo, o.data(), N, y, rows.pass);  // (N, dim)
}

}  // namespace r1
