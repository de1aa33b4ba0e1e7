#include "rl/grpo_loss.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/error.h"
#include "core/rng.h"

namespace r1::rl {
namespace {

constexpr double kTol = 1e-12;

// ---------------------------------------------------------------------------------------------- advantages

TEST(GrpoAdvantages, PopulationStdByDefault) {
  // Group {1, 0, 0, 1}: mean 0.5, deviations ±0.5, population variance (4 · 0.25) / 4 = 0.25, std 0.5.
  // With eps = 0: A = ±0.5 / 0.5 = ±1.
  AdvantageParams p;
  p.eps = 0;
  const std::vector<double> r = {1, 0, 0, 1};
  const GroupAdvantages a = compute_group_advantages(r, 4, {}, p);
  EXPECT_NEAR(a.advantages[0], 1, kTol);
  EXPECT_NEAR(a.advantages[1], -1, kTol);
  EXPECT_NEAR(a.advantages[2], -1, kTol);
  EXPECT_NEAR(a.advantages[3], 1, kTol);
  EXPECT_EQ(a.groups_kept, 1u);
  EXPECT_EQ(a.keep, (std::vector<uint8_t>{1, 1, 1, 1}));
}

TEST(GrpoAdvantages, PopulationVersusSampleStdAndEps) {
  // Group {2, 0, 1}: mean 1, deviations {1, −1, 0}, sum of squares 2.
  // population: std = sqrt(2/3) = 0.816496580927726, A = ±1/(0.816496580927726 + 1e-4)
  // sample:     std = sqrt(2/2) = 1,                 A = ±1/(1 + 1e-4)
  const std::vector<double> r = {2, 0, 1};
  AdvantageParams p;  // eps = 1e-4
  GroupAdvantages a = compute_group_advantages(r, 3, {}, p);
  EXPECT_NEAR(a.advantages[0], 1 / (0.816496580927726 + 1e-4), 1e-12);
  EXPECT_NEAR(a.advantages[1], -1 / (0.816496580927726 + 1e-4), 1e-12);
  EXPECT_NEAR(a.advantages[2], 0, kTol);
  p.unbiased_std = true;
  a = compute_group_advantages(r, 3, {}, p);
  EXPECT_NEAR(a.advantages[0], 1 / 1.0001, 1e-12);
  EXPECT_NEAR(a.advantages[1], -1 / 1.0001, 1e-12);
}

TEST(GrpoAdvantages, DrGrpoSkipsStdNormalisation) {
  // Dr. GRPO: A = r − mean. Group {2, 0, 1} -> {1, −1, 0}; group {0.5, 0.25} (mean 0.375) -> {0.125, −0.125}.
  AdvantageParams p;
  p.scale_by_std = false;
  const std::vector<double> r = {2, 0, 1, 0.5, 0.25, 0.375};
  const GroupAdvantages a = compute_group_advantages(r, 3, {}, p);
  // second group {0.5, 0.25, 0.375}: mean 0.375 -> {0.125, −0.125, 0}
  const std::vector<double> want = {1, -1, 0, 0.125, -0.125, 0};
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(a.advantages[i], want[i], kTol) << i;
}

TEST(GrpoAdvantages, DynamicSamplingDropsUniformGroups) {
  // Groups of 3: {1, 1, 1} (all correct: no signal) is dropped, {0, 0, 1} kept, {0, 0, 0} dropped.
  const std::vector<double> r = {1, 1, 1, 0, 0, 1, 0, 0, 0};
  GroupAdvantages a = compute_group_advantages(r, 3);
  EXPECT_EQ(a.keep, (std::vector<uint8_t>{0, 0, 0, 1, 1, 1, 0, 0, 0}));
  EXPECT_EQ(a.groups_kept, 1u);
  EXPECT_EQ(a.groups_dropped, 2u);
  for (int i : {0, 1, 2, 6, 7, 8}) EXPECT_EQ(a.advantages[size_t(i)], 0.0);
  // {0, 0, 1}: mean 1/3, population std sqrt((1/9 + 1/9 + 4/9)/3) = sqrt(2)/3 = 0.4714045207910317
  EXPECT_NEAR(a.advantages[5], (2.0 / 3) / (0.4714045207910317 + 1e-4), 1e-12);
  AdvantageParams p;
  p.drop_uniform_groups = false;
  a = compute_group_advantages(r, 3, {}, p);
  EXPECT_EQ(a.keep, std::vector<uint8_t>(9, 1));
  EXPECT_EQ(a.advantages[0], 0.0);
}

TEST(GrpoAdvantages, OverlongModes) {
  const std::vector<double> r = {1, 1, 1, 0};
  const std::vector<uint8_t> trunc = {0, 1, 0, 0};
  AdvantageParams p;
  p.eps = 0;
  // keep: rewards as given; group 0 {1, 1} is uniform -> dropped; group 1 {1, 0} -> A = {1, −1}.
  GroupAdvantages a = compute_group_advantages(r, 2, trunc, p);
  EXPECT_EQ(a.keep, (std::vector<uint8_t>{0, 0, 1, 1}));
  // reward: the truncated completion's reward becomes −1: group 0 {1, −1} -> mean 0, std 1 -> A = {1, −1}.
  p.overlong = OverlongMode::reward;
  p.overlong_reward = -1;
  a = compute_group_advantages(r, 2, trunc, p);
  EXPECT_EQ(a.rewards[1], -1.0);
  EXPECT_EQ(a.keep, (std::vector<uint8_t>{1, 1, 1, 1}));
  EXPECT_NEAR(a.advantages[0], 1, kTol);
  EXPECT_NEAR(a.advantages[1], -1, kTol);
  // mask: statistics use the reward, but the truncated completion leaves the loss. Group {1, 0, 0, 1} with the
  // second truncated: A = {1, −1, −1, 1}, keep = {1, 0, 1, 1}.
  p.overlong = OverlongMode::mask;
  const std::vector<double> r2 = {1, 0, 0, 1};
  a = compute_group_advantages(r2, 4, trunc, p);
  EXPECT_EQ(a.keep, (std::vector<uint8_t>{1, 0, 1, 1}));
  EXPECT_NEAR(a.advantages[1], -1, kTol);
  EXPECT_NEAR(a.advantages[3], 1, kTol);
}

TEST(GrpoAdvantages, RejectsBadShapes) {
  const std::vector<double> r = {1, 0, 1};
  EXPECT_THROW(compute_group_advantages(r, 2), Error);
  EXPECT_THROW(compute_group_advantages(r, 0), Error);
  const std::vector<uint8_t> t = {0, 1};
  EXPECT_THROW(compute_group_advantages(r, 3, t), Error);
  AdvantageParams p;
  p.unbiased_std = true;
  EXPECT_THROW(compute_group_advantages(r, 1, {}, p), Error);
  const std::vector<double> bad = {1, NAN};
  EXPECT_THROW(compute_group_advantages(bad, 2), Error);
}

// --------------------------------------------------------------------------------------- clipped objective

// Five tokens in three completions, logp_old = −1 everywhere and logp_new = −1 + ln(ratio):
//   seq 0, A = +1: T0 ratio 1.5: min(1.5, clip→1.2)·1      = 1.2   clipped high, dℓ = 0,    ℓ = −1.2
//                  T1 ratio 0.5: min(0.5, clip→0.8)        = 0.5   unclipped,   dℓ = −0.5, ℓ = −0.5
//   seq 1, A = −1: T2 ratio 0.5: min(−0.5, −0.8)           = −0.8  clipped low, dℓ = 0,    ℓ = +0.8
//                  T3 ratio 1.5: min(−1.5, −1.2)           = −1.5  unclipped,   dℓ = +1.5, ℓ = +1.5
//   seq 2, A = +2: T4 ratio 1.1 (inside [0.8, 1.2]): 2.2           unclipped,   dℓ = −2.2, ℓ = −2.2
// (dℓ = −d surr/d logp_new = −ratio·A on the unclipped branch; beta = 0.)
struct HandBatch {
  std::vector<double> ratio = {1.5, 0.5, 0.5, 1.5, 1.1};
  std::vector<double> logp_old = std::vector<double>(5, -1.0), logp_new, logp_ref;
  std::vector<size_t> offsets = {0, 2, 4, 5};
  std::vector<double> adv = {1, -1, 2};
  HandBatch() {
    for (double r : ratio) logp_new.push_back(-1.0 + std::log(r));
    logp_ref = logp_new;
  }
  GrpoBatch batch() const { return {logp_new, logp_old, logp_ref, offsets, adv, {}}; }
};

GrpoLossParams hand_params(Aggregation agg) {
  GrpoLossParams p;
  p.clip_low = p.clip_high = 0.2;
  p.beta = 0;
  p.aggregation = agg;
  p.max_len = 4;
  return p;
}

TEST(GrpoLoss, HandExampleSequenceMean) {
  const HandBatch h;
  const GrpoLossResult r = grpo_loss(h.batch(), hand_params(Aggregation::sequence_mean));
  // (1/3)·[(−1.2 − 0.5)/2 + (0.8 + 1.5)/2 + (−2.2)/1] = (1/3)·(−0.85 + 1.15 − 2.2) = −1.9/3
  EXPECT_NEAR(r.loss, -1.9 / 3, 1e-12);
  // weights: seq 0 and 1: 1/(3·2) = 1/6; seq 2: 1/(3·1) = 1/3
  const std::vector<double> g = {0, -0.5 / 6, 0, 1.5 / 6, -2.2 / 3};
  for (size_t t = 0; t < g.size(); ++t) EXPECT_NEAR(r.grad[t], g[t], 1e-12) << t;
  EXPECT_NEAR(r.stats.clip_fraction, 2.0 / 5, kTol);
  EXPECT_NEAR(r.stats.clip_low_fraction, 1.0 / 5, kTol);
  EXPECT_NEAR(r.stats.clip_high_fraction, 1.0 / 5, kTol);
  EXPECT_NEAR(r.stats.mean_ratio, (1.5 + 0.5 + 0.5 + 1.5 + 1.1) / 5, 1e-12);  // 1.02
  EXPECT_NEAR(r.stats.mean_kl, 0, kTol);  // logp_ref == logp_new
  EXPECT_EQ(r.stats.n_seq, 3u);
  EXPECT_EQ(r.stats.n_tokens, 5u);
}

TEST(GrpoLoss, HandExampleTokenMean) {
  const HandBatch h;
  const GrpoLossResult r = grpo_loss(h.batch(), hand_params(Aggregation::token_mean));
  // (1/5)·(−1.2 − 0.5 + 0.8 + 1.5 − 2.2) = −1.6/5 = −0.32
  EXPECT_NEAR(r.loss, -0.32, 1e-12);
  const std::vector<double> g = {0, -0.5 / 5, 0, 1.5 / 5, -2.2 / 5};
  for (size_t t = 0; t < g.size(); ++t) EXPECT_NEAR(r.grad[t], g[t], 1e-12) << t;
}

TEST(GrpoLoss, HandExampleConstantNorm) {
  const HandBatch h;
  const GrpoLossResult r = grpo_loss(h.batch(), hand_params(Aggregation::constant_norm));
  // (1/3)·(1/4)·(−1.7 + 2.3 − 2.2) = −1.6/12 = −0.133333…
  EXPECT_NEAR(r.loss, -1.6 / 12, 1e-12);
  const std::vector<double> g = {0, -0.5 / 12, 0, 1.5 / 12, -2.2 / 12};
  for (size_t t = 0; t < g.size(); ++t) EXPECT_NEAR(r.grad[t], g[t], 1e-12) << t;
  GrpoLossParams p = hand_params(Aggregation::constant_norm);
  p.max_len = 1;  // sequences of 2 tokens exceed it
  EXPECT_THROW(grpo_loss(h.batch(), p), Error);
  p.max_len = 0;
  EXPECT_THROW(grpo_loss(h.batch(), p), Error);
}

TEST(GrpoLoss, AsymmetricClipHigher) {
  // clip_high = 0.6 (DAPO-style clip-higher): T0 (ratio 1.5, A = +1) is now inside [0.8, 1.6]:
  // ℓ = −1.5, dℓ = −1.5; nothing else changes. token_mean: (−1.5 − 0.5 + 0.8 + 1.5 − 2.2)/5 = −1.9/5.
  const HandBatch h;
  GrpoLossParams p = hand_params(Aggregation::token_mean);
  p.clip_high = 0.6;
  const GrpoLossResult r = grpo_loss(h.batch(), p);
  EXPECT_NEAR(r.loss, -1.9 / 5, 1e-12);
  EXPECT_NEAR(r.grad[0], -1.5 / 5, 1e-12);
  EXPECT_NEAR(r.stats.clip_high_fraction, 0, kTol);
  EXPECT_NEAR(r.stats.clip_low_fraction, 1.0 / 5, kTol);
}

TEST(GrpoLoss, K3KlByHand) {
  // One completion, two tokens, ratio 1 (logp_old = logp_new = −2), A = 0, beta = 0.5, token_mean.
  //   T0: d = logp_ref − logp_new = +ln 2: kl = 2 − ln 2 − 1 = 0.30685281944005469, dkl = 1 − 2 = −1
  //   T1: d = −ln 2: kl = 0.5 + ln 2 − 1 = 0.19314718055994531, dkl = 1 − 0.5 = +0.5
  // ℓ_t = β·kl_t; loss = (0.5/2)·(0.30685… + 0.19314…) = 0.25·0.5 = 0.125; dℓ_t/dlogp = β·dkl_t / 2.
  const std::vector<double> lp = {-2, -2}, ref = {-2 + std::log(2.0), -2 - std::log(2.0)};
  const std::vector<size_t> off = {0, 2};
  const std::vector<double> adv = {0};
  GrpoLossParams p;
  p.beta = 0.5;
  p.aggregation = Aggregation::token_mean;
  const GrpoLossResult r = grpo_loss({lp, lp, ref, off, adv, {}}, p);
  EXPECT_NEAR(r.loss, 0.125, 1e-12);
  EXPECT_NEAR(r.grad[0], 0.5 * -1 / 2, 1e-12);
  EXPECT_NEAR(r.grad[1], 0.5 * 0.5 / 2, 1e-12);
  EXPECT_NEAR(r.stats.mean_kl, 0.25, 1e-12);
}

TEST(GrpoLoss, DroppedCompletionsLeaveTheLossAndTheNormaliser) {
  // Dropping seq 1 of the hand batch: sequence_mean over seqs 0 and 2: (1/2)·(−1.7/2 − 2.2) = −1.525.
  const HandBatch h;
  const std::vector<uint8_t> keep = {1, 0, 1};
  GrpoBatch b = h.batch();
  b.keep = keep;
  const GrpoLossResult r = grpo_loss(b, hand_params(Aggregation::sequence_mean));
  EXPECT_NEAR(r.loss, -1.525, 1e-12);
  EXPECT_EQ(r.grad[2], 0.0);
  EXPECT_EQ(r.grad[3], 0.0);
  EXPECT_NEAR(r.grad[4], -2.2 / 2, 1e-12);
  EXPECT_EQ(r.stats.n_seq, 2u);
  // Nothing kept: loss 0, gradient 0.
  const std::vector<uint8_t> none = {0, 0, 0};
  b.keep = none;
  const GrpoLossResult z = grpo_loss(b, hand_params(Aggregation::token_mean));
  EXPECT_EQ(z.loss, 0.0);
  for (double g : z.grad) EXPECT_EQ(g, 0.0);
}

TEST(GrpoLoss, RejectsInconsistentInputs) {
  const HandBatch h;
  GrpoBatch b = h.batch();
  const std::vector<double> short_adv = {1, 2};
  b.advantages = short_adv;
  EXPECT_THROW(grpo_loss(b), Error);
  b = h.batch();
  const std::vector<size_t> bad_off = {0, 2, 4, 6};
  b.offsets = bad_off;
  EXPECT_THROW(grpo_loss(b), Error);
  b = h.batch();
  b.logp_ref = {};
  EXPECT_THROW(grpo_loss(b), Error);  // beta = 0.04 needs the reference
  GrpoLossParams p;
  p.beta = 0;
  EXPECT_NO_THROW(grpo_loss(b, p));
  p.clip_low = 1.5;
  EXPECT_THROW(grpo_loss(b, p), Error);
}

// -------------------------------------------------------------------------------- gradient and properties

struct RandomBatch {
  std::vector<double> logp_new, logp_old, logp_ref, adv;
  std::vector<size_t> offsets = {0};
  RandomBatch(uint64_t seed, const std::vector<size_t>& lens) {
    Rng rng(seed);
    for (size_t len : lens) {
      offsets.push_back(offsets.back() + len);
      adv.push_back(double(rng.symmetric(1.5f)));
      for (size_t t = 0; t < len; ++t) {
        const double old = -0.1 - 3.0 * double(rng.uniform());
        logp_old.push_back(old);
        logp_new.push_back(old + double(rng.symmetric(0.4f)));  // ratios in [0.67, 1.49]: both sides of the clip
        logp_ref.push_back(old + double(rng.symmetric(0.5f)));
      }
    }
  }
  GrpoBatch batch() const { return {logp_new, logp_old, logp_ref, offsets, adv, {}}; }
};

TEST(GrpoLoss, GradientMatchesFiniteDifferences) {
  const RandomBatch rb(7, {3, 5, 1, 4});
  for (Aggregation agg : {Aggregation::sequence_mean, Aggregation::token_mean, Aggregation::constant_norm}) {
    GrpoLossParams p;
    p.clip_low = 0.2;
    p.clip_high = 0.28;
    p.beta = 0.04;
    p.aggregation = agg;
    p.max_len = 6;
    const GrpoLossResult r = grpo_loss(rb.batch(), p);
    size_t checked = 0;
    for (size_t t = 0; t < rb.logp_new.size(); ++t) {
      const double ratio = std::exp(rb.logp_new[t] - rb.logp_old[t]);
      if (std::abs(ratio - 0.8) < 1e-3 || std::abs(ratio - 1.28) < 1e-3) continue;  // kink of the clip
      const double h = 1e-6;
      std::vector<double> up = rb.logp_new, dn = rb.logp_new;
      up[t] += h;
      dn[t] -= h;
      GrpoBatch bu = rb.batch(), bd = rb.batch();
      bu.logp_new = up;
      bd.logp_new = dn;
      const double fd = (grpo_loss(bu, p).loss - grpo_loss(bd, p).loss) / (2 * h);
      EXPECT_NEAR(r.grad[t], fd, 1e-8) << "token " << t << " aggregation " << int(agg);
      ++checked;
    }
    EXPECT_GE(checked, 11u);
    EXPECT_GT(r.stats.clip_fraction, 0.0);  // the batch exercises the clipped branch too
    EXPECT_LT(r.stats.clip_fraction, 1.0);
  }
}

// Advantage-weighted cross-entropy written independently: Σ_i Σ_t w_t·(−A_i·logp_t) with each aggregation's
// normaliser spelled out.
double weighted_ce(const std::vector<double>& logp, const std::vector<size_t>& off, const std::vector<double>& adv,
                   Aggregation agg, size_t max_len) {
  const size_t n = adv.size();
  const double total_tokens = double(off.back());
  double loss = 0;
  for (size_t s = 0; s < n; ++s) {
    double seq = 0;
    for (size_t t = off[s]; t < off[s + 1]; ++t) seq += -adv[s] * logp[t];
    const double len = double(off[s + 1] - off[s]);
    if (agg == Aggregation::sequence_mean) loss += seq / len / double(n);
    if (agg == Aggregation::token_mean) loss += seq / total_tokens;
    if (agg == Aggregation::constant_norm) loss += seq / double(max_len) / double(n);
  }
  return loss;
}

TEST(GrpoLoss, OnPolicyWithoutKlIsAdvantageWeightedCrossEntropy) {
  // μ = 1: logp_old == logp_new (ratio 1, never clipped) and beta = 0. The gradient must equal that of
  // Σ w_t·(−A·logp) (computed here by finite differences of weighted_ce), and the loss value is Σ w_t·(−A)
  // (weighted_ce with every logp replaced by 1).
  RandomBatch rb(11, {2, 6, 3});
  rb.logp_old = rb.logp_new;
  for (Aggregation agg : {Aggregation::sequence_mean, Aggregation::token_mean, Aggregation::constant_norm}) {
    GrpoLossParams p;
    p.beta = 0;
    p.aggregation = agg;
    p.max_len = 8;
    const GrpoLossResult r = grpo_loss(rb.batch(), p);
    EXPECT_EQ(r.stats.clip_fraction, 0.0);
    EXPECT_NEAR(r.stats.mean_ratio, 1.0, 1e-15);
    const std::vector<double> ones(rb.logp_new.size(), 1.0);
    EXPECT_NEAR(r.loss, weighted_ce(ones, rb.offsets, rb.adv, agg, p.max_len), 1e-14);
    for (size_t t = 0; t < rb.logp_new.size(); ++t) {
      std::vector<double> up = rb.logp_new, dn = rb.logp_new;
      up[t] += 1e-6;
      dn[t] -= 1e-6;
      const double ce_grad = (weighted_ce(up, rb.offsets, rb.adv, agg, p.max_len) -
                              weighted_ce(dn, rb.offsets, rb.adv, agg, p.max_len)) / 2e-6;
      EXPECT_NEAR(r.grad[t], ce_grad, 1e-9) << t;
    }
  }
}

TEST(GrpoLoss, AggregationWeightsSumToOneForTheMeans) {
  const std::vector<size_t> off = {0, 3, 3, 7, 8};  // the second completion is empty and ignored
  for (Aggregation agg : {Aggregation::sequence_mean, Aggregation::token_mean}) {
    const std::vector<double> w = aggregation_weights(off, {}, agg, 0);
    double sum = 0;
    for (double x : w) sum += x;
    EXPECT_NEAR(sum, 1.0, 1e-15);
  }
  // constant_norm with max_len 10: 3 kept completions, 8 tokens -> Σw = 8 / (3·10)
  const std::vector<double> w = aggregation_weights(off, {}, Aggregation::constant_norm, 10);
  double sum = 0;
  for (double x : w) sum += x;
  EXPECT_NEAR(sum, 8.0 / 30, 1e-15);
}

}  // namespace
}  // namespace r1::rl
