// Gradient checks (double, central differences) of the elementwise / row-wise autograd ops.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "autograd/attention_mla.h"
#include "autograd/embedding.h"
#include "autograd/linear.h"
#include "autograd/loss.h"
#include "autograd/norm.h"
#include "autograd/rope.h"
#include "autograd/swiglu.h"
#include "kernels/vexp.h"
#include "core/error.h"
#include "gradcheck.h"
#include "model/rope_yarn.h"

namespace r1::ag {
namespace {

using test::check_grad;
using test::random_vec;
using test::weighted_sum;
using V = std::vector<double>;

// The vectorizable f32 exp of the training loops: within 2 ulp (relative 2^-22) of exp computed in double and
// rounded, on a dense grid over the normal range; the ends and NaN as documented in vexp.h.
TEST(AutogradVexp, WithinTwoUlpOfExp) {
  double worst = 0;
  for (float x = -87.0f; x < 88.3f; x += 1.0f / 1024) {
    const double ref = double(float(std::exp(double(x))));
    worst = std::max(worst, std::fabs(double(vexp(x)) - ref) / ref);
  }
  EXPECT_LE(worst, 0x1.0p-22);
  EXPECT_EQ(vexp(0.0f), 1.0f);
  EXPECT_EQ(vexp(-100.0f), 0.0f);
  EXPECT_EQ(vexp(-INFINITY), 0.0f);
  EXPECT_TRUE(std::isfinite(vexp(100.0f)));
  EXPECT_TRUE(std::isnan(vexp(NAN)));
  std::printf("vexp max relative error %.2e (%.2f ulp of 2^-23)\n", worst, worst / 0x1.0p-23);
}

TEST(AutogradEmbedding, ScatterAddMatchesFiniteDifferences) {
  Rng rng(1);
  const int64_t Vocab = 7, C = 5, N = 6;
  const std::vector<int32_t> tokens = {3, 1, 3, 6, 0, 3};  // repeated ids must add up
  V wte = random_vec(rng, Vocab * C, 1.0), r = random_vec(rng, N * C, 1.0), out(size_t(N * C));
  auto loss = [&] {
    embedding_forward(out.data(), tokens.data(), wte.data(), N, Vocab, C);
    return weighted_sum(out, r);
  };
  loss();
  V dwte(size_t(Vocab * C), 0.0);
  embedding_backward(dwte.data(), r.data(), tokens.data(), N, C);
  check_grad("embedding.wte", wte.data(), dwte.data(), Vocab * C, loss);
  for (int64_t c = 0; c < C; ++c) EXPECT_EQ(dwte[size_t(2 * C + c)], 0.0);  // id 2 unused
  const std::vector<int32_t> bad = {7};
  EXPECT_THROW(embedding_forward(out.data(), bad.data(), wte.data(), 1, Vocab, C), Error);
}

TEST(AutogradRMSNorm, InputAndWeightGradients) {
  Rng rng(2);
  const int64_t N = 4, C = 9;
  V x = random_vec(rng, N * C, 2.0), w = random_vec(rng, C, 1.0), r = random_vec(rng, N * C, 1.0);
  V out(size_t(N * C)), rstd(static_cast<size_t>(N));
  auto loss = [&] {
    rmsnorm_forward(out.data(), rstd.data(), x.data(), w.data(), N, C, 1e-6);
    return weighted_sum(out, r);
  };
  loss();
  V dx(size_t(N * C), 0.0), dw(size_t(C), 0.0);
  rmsnorm_backward(dx.data(), dw.data(), r.data(), x.data(), w.data(), rstd.data(), N, C);
  check_grad("rmsnorm.x", x.data(), dx.data(), N * C, loss);
  check_grad("rmsnorm.w", w.data(), dw.data(), C, loss);
}

TEST(AutogradLinear, WeightInputAndBiasGradients) {
  Rng rng(3);
  const int64_t N = 5, IN = 7, OUT = 4;
  for (bool with_bias : {false, true}) {
    V x = random_vec(rng, N * IN, 1.0), W = random_vec(rng, OUT * IN, 0.5), b = random_vec(rng, OUT, 0.5);
    V r = random_vec(rng, N * OUT, 1.0), out(size_t(N * OUT));
    const double* bias = with_bias ? b.data() : nullptr;
    auto loss = [&] {
      linear_forward(out.data(), x.data(), W.data(), bias, N, IN, OUT);
      return weighted_sum(out, r);
    };
    loss();
    V dx(size_t(N * IN), 0.0), dW(size_t(OUT * IN), 0.0), db(size_t(OUT), 0.0);
    linear_backward(dx.data(), dW.data(), with_bias ? db.data() : nullptr, r.data(), x.data(), W.data(), N, IN, OUT);
    const std::string tag = with_bias ? "linear+bias." : "linear.";
    check_grad(tag + "x", x.data(), dx.data(), N * IN, loss);
    check_grad(tag + "W", W.data(), dW.data(), OUT * IN, loss);
    if (with_bias) check_grad(tag + "b", b.data(), db.data(), OUT, loss);
  }
}

TEST(AutogradLinear, FloatForwardMatchesDoubleWithinF32Rounding) {
  Rng rng(4);
  const int64_t N = 3, IN = 64, OUT = 5;
  V x = random_vec(rng, N * IN, 1.0), W = random_vec(rng, OUT * IN, 1.0), out(size_t(N * OUT));
  std::vector<float> xf(x.begin(), x.end()), Wf(W.begin(), W.end()), outf(size_t(N * OUT));
  V xr(xf.begin(), xf.end()), Wr(Wf.begin(), Wf.end());  // the f32-rounded inputs, in double
  linear_forward(out.data(), xr.data(), Wr.data(), (const double*)nullptr, N, IN, OUT);
  linear_forward(outf.data(), xf.data(), Wf.data(), (const float*)nullptr, N, IN, OUT);
  for (int64_t i = 0; i < N * OUT; ++i) {
    double bound = 0.0;  // IN products of |x||w| <= 1, each sum step rounds by <= 2^-24 (with slack 2x)
    for (int64_t j = 0; j < IN; ++j) bound += std::fabs(xr[size_t(i / OUT * IN + j)] * Wr[size_t(i % OUT * IN + j)]);
    EXPECT_NEAR(double(outf[size_t(i)]), out[size_t(i)], 2.0 * double(IN) * 0x1p-24 * bound);
  }
}

ModelConfig rope_config(bool yarn) {
  ModelConfig c;
  c.qk_rope_head_dim = 8;
  c.rope_theta = 10000.0;
  if (yarn) {
    c.yarn.enabled = true;
    c.yarn.factor = 40.0;
    c.yarn.original_seq_len = 16;
    c.yarn.mscale = 0.9;  // cos/sin factor != 1, so the rotation is not orthogonal: the backward must transpose
    c.yarn.mscale_all_dim = 0.7;
  }
  return c;
}

TEST(AutogradRope, InterleavedPairsMatchInferenceRope) {
  const ModelConfig c = rope_config(true);
  const RopeTable<float> t = rope_table<float>(c, 6);
  const Rope ref(c);
  Rng rng(5);
  std::vector<float> x(8), y(8);
  for (int64_t pos = 0; pos < 6; ++pos) {
    for (auto& v : x) v = rng.symmetric(1.0f);
    y = x;
    ref.apply(y.data(), pos);
    // (B=1, S=6, H=1, stride 8): put x at position pos of a zero sequence.
    std::vector<float> seq(6 * 8, 0.0f);
    std::copy(x.begin(), x.end(), seq.begin() + pos * 8);
    rope_forward(seq.data(), t, 1, 6, 1, 8, 0);
    for (int64_t i = 0; i < 8; ++i) EXPECT_EQ(seq[size_t(pos * 8 + i)], y[size_t(i)]) << "pos " << pos << " i " << i;
  }
}

TEST(AutogradRope, BackwardIsTransposeWithAndWithoutYarn) {
  for (bool yarn : {false, true}) {
    const ModelConfig c = rope_config(yarn);
    const int64_t B = 2, S = 5, H = 3, stride = 11, off = 2;  // rope channels [2, 10) of 11-wide heads
    const RopeTable<double> t = rope_table<double>(c, S);
    Rng rng(6);
    V x = random_vec(rng, B * S * H * stride, 1.0), r = random_vec(rng, B * S * H * stride, 1.0), y;
    auto loss = [&] {
      y = x;
      rope_forward(y.data(), t, B, S, H, stride, off);
      return weighted_sum(y, r);
    };
    loss();
    V dx = r;
    rope_backward(dx.data(), t, B, S, H, stride, off);
    check_grad(yarn ? "rope(yarn).x" : "rope.x", x.data(), dx.data(), int64_t(x.size()), loss);
  }
}

TEST(AutogradSwiGLU, ElementwiseAndMLPGradients) {
  Rng rng(7);
  const int64_t n = 12;
  V a = random_vec(rng, n, 3.0), b = random_vec(rng, n, 1.0), r = random_vec(rng, n, 1.0), out(static_cast<size_t>(n));
  auto loss = [&] {
    swiglu_forward(out.data(), a.data(), b.data(), n);
    return weighted_sum(out, r);
  };
  loss();
  V da(size_t(n), 0.0), db(size_t(n), 0.0);
  swiglu_backward(da.data(), db.data(), r.data(), a.data(), b.data(), n);
  check_grad("swiglu.a", a.data(), da.data(), n, loss);
  check_grad("swiglu.b", b.data(), db.data(), n, loss);

  const int64_t N = 4, D = 6, I = 5;
  V x = random_vec(rng, N * D, 1.0), w1 = random_vec(rng, I * D, 0.5), w2 = random_vec(rng, D * I, 0.5),
    w3 = random_vec(rng, I * D, 0.5), rr = random_vec(rng, N * D, 1.0), y(size_t(N * D));
  MLPParams<double> p{w1.data(), w2.data(), w3.data(), I};
  MLPActs<double> acts;
  auto mloss = [&] {
    mlp_forward(p, acts, x.data(), N, D, y.data());
    return weighted_sum(y, rr);
  };
  mloss();
  V dx(x.size(), 0.0), dw1(w1.size(), 0.0), dw2(w2.size(), 0.0), dw3(w3.size(), 0.0);
  mlp_backward(p, MLPParams<double>{dw1.data(), dw2.data(), dw3.data(), I}, acts, x.data(), N, D, rr.data(), dx.data());
  check_grad("mlp.x", x.data(), dx.data(), N * D, mloss);
  check_grad("mlp.w1", w1.data(), dw1.data(), I * D, mloss);
  check_grad("mlp.w2", w2.data(), dw2.data(), D * I, mloss);
  check_grad("mlp.w3", w3.data(), dw3.data(), I * D, mloss);
}

TEST(AutogradCrossEntropy, MeanOverCountedTargetsWithIgnoreIndex) {
  Rng rng(8);
  const int64_t N = 5, Vocab = 7;
  const std::vector<int32_t> targets = {2, kIgnoreIndex, 6, 0, kIgnoreIndex};
  V logits = random_vec(rng, N * Vocab, 3.0), probs(size_t(N * Vocab));
  auto loss = [&] { return cross_entropy_forward(probs.data(), logits.data(), targets.data(), N, Vocab); };
  const double l = loss();
  // By hand: mean of -log softmax over the three counted rows.
  double ref = 0.0;
  for (int64_t n : {0, 2, 3}) {
    double z = 0.0;
    for (int64_t v = 0; v < Vocab; ++v) z += std::exp(logits[size_t(n * Vocab + v)]);
    ref += std::log(z) - logits[size_t(n * Vocab + targets[size_t(n)])];
  }
  EXPECT_NEAR(l, ref / 3.0, 1e-12);
  V dl(size_t(N * Vocab), 0.0);
  cross_entropy_backward(dl.data(), probs.data(), targets.data(), N, Vocab, 1.0);
  check_grad("cross_entropy.logits", logits.data(), dl.data(), N * Vocab, loss);
  for (int64_t v = 0; v < Vocab; ++v) EXPECT_EQ(dl[size_t(1 * Vocab + v)], 0.0);  // ignored rows get nothing
  const std::vector<int32_t> all_ignored(size_t(N), kIgnoreIndex);
  EXPECT_EQ(cross_entropy_forward(probs.data(), logits.data(), all_ignored.data(), N, Vocab), 0.0);
  const std::vector<int32_t> bad = {0, 0, 7, 0, 0};
  EXPECT_THROW(cross_entropy_forward(probs.data(), logits.data(), bad.data(), N, Vocab), Error);
}

TEST(AutogradCrossEntropy, WeightedSumForRLObjectives) {
  Rng rng(18);
  const int64_t N = 4, Vocab = 6;
  const std::vector<int32_t> targets = {1, 5, kIgnoreIndex, 0};
  const V w = {0.5, -1.25, 3.0, 2.0};  // signed, as GRPO's -dL/dlogp are
  V logits = random_vec(rng, N * Vocab, 3.0), probs(size_t(N * Vocab)), logp(static_cast<size_t>(N));
  auto loss = [&] { return weighted_cross_entropy(logits.data(), targets.data(), w.data(), N, Vocab); };
  target_logprobs(logp.data(), logits.data(), targets.data(), N, Vocab);
  double ref = 0.0;  // by hand: sum of w * -log softmax over the counted rows
  for (int64_t n : {0, 1, 3}) {
    double z = 0.0;
    for (int64_t v = 0; v < Vocab; ++v) z += std::exp(logits[size_t(n * Vocab + v)]);
    const double lp = logits[size_t(n * Vocab + targets[size_t(n)])] - std::log(z);
    EXPECT_NEAR(logp[size_t(n)], lp, 1e-12);
    ref -= w[size_t(n)] * lp;
  }
  EXPECT_EQ(logp[2], 0.0);
  EXPECT_NEAR(loss(), ref, 1e-12);
  cross_entropy_forward(probs.data(), logits.data(), targets.data(), N, Vocab);  // fills probs
  V dl(size_t(N * Vocab), 0.0);
  weighted_cross_entropy_backward(dl.data(), probs.data(), targets.data(), w.data(), N, Vocab);
  check_grad("weighted_cross_entropy.logits", logits.data(), dl.data(), N * Vocab, loss);
}

TEST(AutogradAttention, CausalSoftmaxAttentionGradients) {
  Rng rng(9);
  const int64_t B = 2, S = 5, H = 3, dqk = 6, dv = 4;
  const double scale = 0.37;
  V q = random_vec(rng, B * S * H * dqk, 1.0), k = random_vec(rng, B * S * H * dqk, 1.0),
    v = random_vec(rng, B * S * H * dv, 1.0), r = random_vec(rng, B * S * H * dv, 1.0);
  V o(size_t(B * S * H * dv)), probs(size_t(B * H * S * S));
  auto loss = [&] {
    attention_forward(o.data(), probs.data(), q.data(), k.data(), v.data(), B, S, H, dqk, dv, scale);
    return weighted_sum(o, r);
  };
  loss();
  // Causality: the first position attends only to itself, so its output is v there.
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < H; ++h)
      for (int64_t d = 0; d < dv; ++d)
        EXPECT_DOUBLE_EQ(o[size_t((b * S * H + h) * dv + d)], v[size_t((b * S * H + h) * dv + d)]);
  V dq(q.size(), 0.0), dk(k.size(), 0.0), dvv(v.size(), 0.0);
  attention_backward(dq.data(), dk.data(), dvv.data(), r.data(), q.data(), k.data(), v.data(), probs.data(), B, S, H,
                     dqk, dv, scale);
  check_grad("attention.q", q.data(), dq.data(), int64_t(q.size()), loss);
  check_grad("attention.k", k.data(), dk.data(), int64_t(k.size()), loss);
  check_grad("attention.v", v.data(), dvv.data(), int64_t(v.size()), loss);
}

}  // namespace
}  // namespace r1::ag
