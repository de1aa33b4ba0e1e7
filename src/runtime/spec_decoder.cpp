#include "runtime/spec_decoder.h"

#include <algorithm>
#include <string>

#include "core/error.h"

namespace r1 {

namespace {

// The draft for the position after the one whose MTP logits these are.
void set_draft(SpecSeq& s, const float* mtp_logits, int64_t V) {
  s.sampler->distribution(mtp_logits, V, s.q);
  s.draft = s.sampler->draw(s.q);
}

}  // namespace

int32_t spec_extend(const Model& m, SpecSeq& s, const std::vector<int32_t>& tokens, int64_t start, int64_t end,
                    bool sample_last, float* logits_out) {
  const ModelConfig& c = m.config();
  const int64_t V = c.vocab_size, D = c.dim;
  require(m.has_mtp(), m.dir() + ": no MTP module in the checkpoint; speculative decoding needs one (--spec none)");
  require(s.cache && s.sampler, "internal: speculative sequence without a cache or sampler");
  require(start >= 0 && start <= s.pos && start < end && end <= int64_t(tokens.size()),
          "internal: spec_extend range [" + std::to_string(start) + ", " + std::to_string(end) + ") with " +
              std::to_string(s.pos) + " cached");
  if (end > s.cache->capacity())
    throw Error("sequence of " + std::to_string(end) + " tokens exceeds the context of " +
                std::to_string(s.cache->capacity()) + " tokens");
  // MTP rows at or past `start` saw tokens that may change; the row of start - 1 saw the token at `start`.
  if (s.mtp_done > start) s.mtp_done = start;
  if (s.mtp_done == start && start > 0 && s.mtp_next != tokens[size_t(start)])
    s.mtp_done = start - 1;
  // Hidden states are needed from mtp_done on; the one of start - 1 may be kept from the previous call.
  const bool have_prev = s.mtp_done == start - 1 && s.h_pos == start - 1;
  const int64_t first = (s.mtp_done < start && !have_prev) ? s.mtp_done : start;
  const int64_t T = end - first;
  std::vector<float> H(size_t(T * D)), last(static_cast<size_t>(V));
  m.forward_hidden(tokens.data() + first, T, first, *s.cache, last.data(), H.data());
  if (logits_out) std::copy(last.begin(), last.end(), logits_out);
  s.pos = end;
  auto hidden_of = [&](int64_t i) -> const float* { return i >= first ? &H[size_t((i - first) * D)] : s.h.data(); };
  // MTP rows whose next token is known: positions mtp_done .. end - 2.
  std::vector<Model::MTPRow> rows;
  for (int64_t i = s.mtp_done; i + 1 < end; ++i) rows.push_back({tokens[size_t(i + 1)], i, s.cache, hidden_of(i)});
  int32_t tok = -1;
  if (sample_last) {
    tok = s.sampler->sample(last.data(), V);
    rows.push_back({tok, end - 1, s.cache, hidden_of(end - 1)});
    s.pending = tok;
  }
  if (!rows.empty()) {
    std::vector<float> ml(rows.size() * size_t(V));
    m.mtp_forward(rows, ml.data());
    s.mtp_done = rows.back().pos + 1;
    s.mtp_next = rows.back().next;
    if (sample_last) set_draft(s, &ml[(rows.size() - 1) * size_t(V)], V);
  }
  if (!sample_last) {
    s.h.assign(H.end() - D, H.end());
    s.h_pos = end - 1;
    s.pending = -1;
    s.draft = -1;
  }
  return tok;
}

int32_t spec_accept(Sampler& sampler, const std::vector<double>& p, const std::vector<double>& q, int32_t d,
                    bool* accepted) {
  const double ratio = p[size_t(d)] / q[size_t(d)];  // q(d) > 0: d was drawn from q
  *accepted = ratio >= 1.0 || (!sampler.greedy() && sampler.uniform() < ratio);
  if (*accepted) return d;
  std::vector<double> resid(p.size());
  for (size_t v = 0; v < p.size(); ++v) resid[v] = std::max(0.0, p[v] - q[v]);
  return sampler.draw(resid);  // sum > 0: p(d) < q(d) leaves mass elsewhere
}

void spec_step(const Model& m, const std::vector<SpecSeq*>& seqs, std::vector<std::vector<int32_t>>& emitted) {
  const ModelConfig& c = m.config();
  const int64_t V = c.vocab_size, D = c.dim;
  emitted.assign(seqs.size(), {});
  if (seqs.empty()) return;
  // Two rows per sequence (pending, draft), or one when the draft's position would not fit.
  std::vector<Model::Row> rows;
  std::vector<size_t> first_row(seqs.size());
  std::vector<bool> two(seqs.size());
  for (size_t i = 0; i < seqs.size(); ++i) {
    SpecSeq& s = *seqs[i];
    require(s.pending >= 0, "internal: spec_step on a sequence without a pending token");
    first_row[i] = rows.size();
    two[i] = s.draft >= 0 && s.pos + 1 < s.cache->capacity();
    rows.push_back({s.pending, s.pos, s.cache, true});
    if (two[i]) rows.push_back({s.draft, s.pos + 1, s.cache, true});
  }
  std::vector<float> logits(rows.size() * size_t(V)), hid(rows.size() * size_t(D));
  m.forward_rows(rows, logits.data(), hid.data());
  std::vector<Model::MTPRow> mrows;
  std::vector<size_t> last_mrow(seqs.size(), SIZE_MAX);
  std::vector<double> p;
  for (size_t i = 0; i < seqs.size(); ++i) {
    SpecSeq& s = *seqs[i];
    const float* l0 = &logits[first_row[i] * size_t(V)];
    const float* h0 = &hid[first_row[i] * size_t(D)];
    ++s.stats.steps;
    std::vector<int32_t>& out = emitted[i];
    if (!two[i]) {
      out.push_back(s.sampler->sample(l0, V));
    } else {
      ++s.stats.drafted;
      s.sampler->distribution(l0, V, p);
      bool accepted = false;
      out.push_back(spec_accept(*s.sampler, p, s.q, s.draft, &accepted));
      if (accepted) {
        ++s.stats.accepted;
        out.push_back(s.sampler->sample(l0 + V, V));  // the main model's token after the draft
      }
    }
    // MTP rows for the emitted tokens: (h_pos, token pos+1) and, after an accepted draft, (h_pos+1, token pos+2).
    mrows.push_back({out[0], s.pos, s.cache, h0});
    if (out.size() == 2) mrows.push_back({out[1], s.pos + 1, s.cache, h0 + D});
    last_mrow[i] = mrows.size() - 1;
  }
  // The next drafts, for every sequence whose draft position still fits.
  std::vector<float> ml(mrows.size() * size_t(V));
  m.mtp_forward(mrows, ml.data());
  for (size_t i = 0; i < seqs.size(); ++i) {
    SpecSeq& s = *seqs[i];
    const std::vector<int32_t>& out = emitted[i];
    s.pos += int64_t(out.size());
    s.pending = out.back();
    s.mtp_done = s.pos;
    s.mtp_next = s.pending;
    s.h_pos = -1;
    if (s.pos + 1 < s.cache->capacity()) set_draft(s, &ml[last_mrow[i] * size_t(V)], V);
    else s.draft = -1;
  }
}

}  // namespace r1
