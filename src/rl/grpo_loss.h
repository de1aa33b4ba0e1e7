// GRPO's math, independent of the model (DeepSeekMath §4.1, DeepSeek-R1 §2.2.1), plus the variants the
// R1-Zero reproductions use (DAPO: clip-higher, token-mean, dynamic sampling, overlong filtering; Dr. GRPO: no
// std normalisation, constant-length normaliser).
//
// Layout: a batch holds n_seq completions, grouped G at a time (the G samples drawn for one prompt are
// consecutive). Their tokens lie back to back in flat arrays: completion s owns tokens [offsets[s],
// offsets[s+1]). Only completion tokens are listed (no prompt, no padding).
//
// 1. Advantages (compute_group_advantages), per group of G rewards r_1..r_G:
//      A_i = (r_i − mean(r)) / (std(r) + eps)                      scale_by_std (GRPO, the default)
//      A_i =  r_i − mean(r)                                         !scale_by_std (Dr. GRPO)
//    std is the population standard deviation, sqrt(Σ(r_i − mean)² / G), by default ("the std of the group",
//    DeepSeekMath eq. 3 / R1 eq. 3, with no Bessel correction); unbiased_std = true divides by G − 1 instead
//    (what TRL's torch.std computes). Every completion of a group gets the advantage for all its tokens.
//    Dynamic-sampling filter (drop_uniform_groups, DAPO): a group whose rewards are all exactly equal carries
//    no signal (all A_i = 0); its completions are dropped: keep = 0, and they are not counted in any
//    normaliser below.
//    Overlong completions (truncated[i] = 1: hit the length limit without finishing):
//      OverlongMode::keep    — their task reward is used as is;
//      OverlongMode::reward  — their reward is replaced by overlong_reward before the group statistics;
//      OverlongMode::mask    — their reward still enters the group statistics, but the completion is dropped
//                              from the loss (keep = 0; DAPO's "overlong filtering").
//
// 2. Per-token objective (grpo_loss), for token t of completion i with advantage A = A_i:
//      ratio = exp(logp_new − logp_old)
//      surr  = min(ratio·A, clip(ratio, 1 − clip_low, 1 + clip_high)·A)
//      kl    = exp(logp_ref − logp_new) − (logp_ref − logp_new) − 1           (k3 estimator, ≥ 0)
//      ℓ_t   = −(surr − beta·kl)
//    The loss aggregates ℓ_t over kept completions (N = number of kept completions with ≥ 1 token; completions
//    with no tokens are ignored):
//      Aggregation::sequence_mean — (1/N) Σ_i (1/|o_i|) Σ_t ℓ_t        (GRPO as in the papers)
//      Aggregation::token_mean    — (1/Σ_i |o_i|) Σ_i Σ_t ℓ_t          (DAPO)
//      Aggregation::constant_norm — (1/N) Σ_i (1/max_len) Σ_t ℓ_t      (Dr. GRPO; max_len = generation limit)
//    When nothing is kept the loss is 0 and every gradient is 0.
//    Gradient d loss / d logp_new for each token (logp_old, logp_ref are constants):
//      d surr = ratio·A when the unclipped term is the minimum (ties included), else 0 (clipped: no gradient)
//      d kl   = 1 − exp(logp_ref − logp_new)
//      dℓ_t   = −(d surr − beta·d kl), times the token's aggregation weight
//    With logp_old == logp_new (one update per batch, μ = 1) and beta = 0 the gradient is −A·w_t, that of the
//    advantage-weighted cross-entropy Σ w_t·(−A·logp_new); the loss value is Σ w_t·(−A).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace r1::rl {

enum class OverlongMode { keep, reward, mask };

struct AdvantageParams {
  bool scale_by_std = true;         // false: Dr. GRPO (A = r − mean)
  bool unbiased_std = false;        // false: population std (÷G); true: sample std (÷(G−1))
  double eps = 1e-4;                // added to std
  bool drop_uniform_groups = true;  // dynamic-sampling filter
  OverlongMode overlong = OverlongMode::keep;
  double overlong_reward = 0.0;     // used by OverlongMode::reward
};

struct GroupAdvantages {
  std::vector<double> advantages;  // (n_seq,)
  std::vector<uint8_t> keep;       // (n_seq,) 1 = in the loss
  std::vector<double> rewards;     // (n_seq,) the rewards the statistics used (after overlong replacement)
  size_t groups_kept = 0, groups_dropped = 0;  // dropped = all rewards equal (when drop_uniform_groups)
};

// rewards: (n_seq,), n_seq a positive multiple of group_size (>= 1; unbiased_std needs group_size >= 2).
// truncated: (n_seq,) or empty (= none truncated). Throws r1::Error on inconsistent sizes or non-finite rewards.
GroupAdvantages compute_group_advantages(std::span<const double> rewards, size_t group_size,
                                         std::span<const uint8_t> truncated = {}, const AdvantageParams& p = {});

enum class Aggregation { sequence_mean, token_mean, constant_norm };

struct GrpoLossParams {
  double clip_low = 0.2;   // ε_low
  double clip_high = 0.2;  // ε_high (DAPO's clip-higher uses e.g. 0.28)
  double beta = 0.04;      // KL weight (DeepSeekMath: 0.04); 0 disables the KL term
  Aggregation aggregation = Aggregation::sequence_mean;
  size_t max_len = 0;      // constant_norm's divisor; required (> 0) for that mode
};

struct GrpoBatch {
  std::span<const double> logp_new;    // (n_tokens,) log π_θ(o_t | q, o_<t) of the sampled token
  std::span<const double> logp_old;    // (n_tokens,) same under the policy that sampled
  std::span<const double> logp_ref;    // (n_tokens,) same under the frozen reference; may be empty if beta == 0
  std::span<const size_t> offsets;     // (n_seq + 1,) offsets[0] = 0, non-decreasing, offsets[n_seq] = n_tokens
  std::span<const double> advantages;  // (n_seq,)
  std::span<const uint8_t> keep;       // (n_seq,) or empty (= keep all)
};

struct GrpoStats {
  size_t n_seq = 0, n_tokens = 0;  // kept completions (with ≥ 1 token) and their tokens
  double clip_fraction = 0;        // share of kept tokens whose clipped term was strictly smaller (no gradient)
  double clip_low_fraction = 0;    // … of those, ratio < 1 − clip_low (A < 0)
  double clip_high_fraction = 0;   // … of those, ratio > 1 + clip_high (A > 0)
  double mean_kl = 0;              // token mean of the k3 estimate over kept tokens
  double mean_ratio = 0;           // token mean of the ratio over kept tokens
};

struct GrpoLossResult {
  double loss = 0;
  std::vector<double> grad;  // (n_tokens,) d loss / d logp_new; 0 for tokens of dropped completions
  GrpoStats stats;
};

// Throws r1::Error on inconsistent sizes, non-finite inputs or invalid parameters.
GrpoLossResult grpo_loss(const GrpoBatch& batch, const GrpoLossParams& p = {});

// The aggregation weight w_t of every token (the loss is Σ_t w_t·ℓ_t): exposed so a trainer can reuse the same
// normalisation (e.g. for an SFT / cross-entropy term). (n_tokens,), 0 for dropped completions.
std::vector<double> aggregation_weights(std::span<const size_t> offsets, std::span<const uint8_t> keep,
                                        Aggregation aggregation, size_t max_len);

}  // namespace r1::rl
