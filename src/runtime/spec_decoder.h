// Self-speculative decoding with DeepSeek-V3's multi-token-prediction (MTP) module, as a per-sequence state
// machine that generate, chat and the server's batched engine share.
//
// A sequence's cache holds the main layers and one extra layer for the MTP block. The MTP row of position i
// combines the main model's final-norm hidden state h_i with the embedding of token i+1 and predicts token
// i+2. Each step the main model verifies the pending token (sampled, not yet in the cache) and the MTP draft
// that follows it in one batched forward (two rows per sequence):
//   - the draft d, drawn from the draft distribution q, is accepted with probability min(1, p(d) / q(d)), where
//     p is the main model's distribution after the pending token (Leviathan et al. 2023; Chen et al. 2023);
//     accepted, the main model's token after d comes for free (drawn from its second row);
//   - rejected, the token is drawn from the residual max(0, p - q) (normalised) instead.
// Every emitted token is therefore distributed exactly as in plain decoding; with temperature 0 (one-hot p and
// q) the rule reduces to "keep the draft when it equals the argmax", so greedy output is identical. A rejected
// draft's cache rows are simply overwritten by the next step (attention never reads past the row it is
// processing), which rolls the cache back exactly.
#pragma once

#include <cstdint>
#include <vector>

#include "model/transformer.h"
#include "runtime/sampler.h"

namespace r1 {

struct SpecStats {
  int64_t steps = 0;     // verifying forward passes after the prompt
  int64_t drafted = 0;   // drafts checked
  int64_t accepted = 0;  // drafts kept
  double acceptance() const { return drafted ? double(accepted) / double(drafted) : 0.0; }
  void add(const SpecStats& o) { steps += o.steps, drafted += o.drafted, accepted += o.accepted; }
};

struct SpecSeq {
  LatentCache* cache = nullptr;  // main layers + the MTP layer (index n_layers)
  Sampler* sampler = nullptr;
  int64_t pos = 0;       // main-layer rows [0, pos) are in the cache; `pending` goes at pos
  int64_t mtp_done = 0;  // MTP-layer rows [0, mtp_done) are in the cache and match the tokens
  int32_t mtp_next = -1; // the next token the MTP row of position mtp_done - 1 was computed with
  int32_t pending = -1;  // last emitted token (not in the cache yet); -1 before the first one
  int32_t draft = -1;    // the MTP module's draft for position pos + 1; -1: none
  std::vector<double> q; // the draft's distribution (vocab_size)
  std::vector<float> h;  // final-norm hidden state of position h_pos
  int64_t h_pos = -1;
  SpecStats stats;
};

// Puts tokens[start, end) into the cache at those positions (main layers, and the MTP layer as far as the next
// token is known). start <= s.pos: a later start truncates (the rows are recomputed). Token ids before `start`
// must be the ones already cached (tokens covers [0, end)). With sample_last, the last position's logits give
// the pending token (returned, and counted as emitted by the caller), and the MTP module drafts the next one;
// otherwise returns -1 (a prompt chunk; the next call continues at `end`). logits (optional, vocab_size): the
// last position's logits.
int32_t spec_extend(const Model& m, SpecSeq& s, const std::vector<int32_t>& tokens, int64_t start, int64_t end,
                    bool sample_last, float* logits = nullptr);

// The acceptance rule: d was drawn from q; returns d (accepted, *accepted = true) with probability
// min(1, p(d) / q(d)), else a draw from max(0, p - q). The result is distributed as p.
int32_t spec_accept(Sampler& sampler, const std::vector<double>& p, const std::vector<double>& q, int32_t d,
                    bool* accepted);

// One verifying step for every sequence (each must have a pending token): emitted[i] receives 1 or 2 tokens,
// the last of which becomes the new pending token. A sequence with no room for the draft's row (pos + 1 ==
// capacity) takes a plain one-token step.
void spec_step(const Model& m, const std::vector<SpecSeq*>& seqs, std::vector<std::vector<int32_t>>& emitted);

}  // namespace r1
