#include "runtime/speculative.h"

#include <chrono>

#include "core/error.h"
#include "runtime/kv_cache.h"
#include "runtime/sampler.h"

namespace r1 {

GenerateResult generate_mtp(const Model& m, const std::vector<int32_t>& prompt, const GenerateParams& p,
                            const std::function<bool(int32_t)>& on_token, SpecStats* stats) {
  const ModelConfig& c = m.config();
  require(m.has_mtp(), m.dir() + ": no MTP module in the checkpoint; speculative decoding needs one (--spec none)");
  require(p.sampler.temperature == 0.0f, "--spec mtp: only greedy decoding (temperature 0) is implemented so far");
  require(!prompt.empty(), "the prompt is empty");
  require(p.max_tokens >= 0, "max tokens must be >= 0");
  const int64_t T = int64_t(prompt.size()), V = c.vocab_size, D = c.dim;
  const int64_t ctx = (p.context > 0 ? p.context : T + std::max<int64_t>(p.max_tokens, 1)) + 2;
  LatentKVCache cache(c, ctx, /*extra_layers=*/1);
  SpecStats st;
  GenerateResult r;
  r.finish_reason = "length";
  using clock = std::chrono::steady_clock;
  auto t0 = clock::now();
  // Prefill, keeping every position's hidden state: the MTP module's cache needs all of them.
  std::vector<float> all(size_t(T * V)), hid(size_t(T * D)), last(static_cast<size_t>(V));
  m.forward(prompt.data(), T, 0, cache, last.data(), p.attn, all.data(), hid.data());
  r.prefill_seconds = std::chrono::duration<double>(clock::now() - t0).count();
  t0 = clock::now();
  bool done = false;
  auto emit = [&](int32_t tok) {
    r.tokens.push_back(tok);
    if (on_token && !on_token(tok)) done = true;
    if (!p.ignore_eos && tok == c.eos_token_id) r.finish_reason = "stop", done = true;
    if (int64_t(r.tokens.size()) >= p.max_tokens) done = true;
  };
  if (p.max_tokens == 0) return r;
  int32_t pending = argmax(last.data(), V);  // x_T
  emit(pending);
  // MTP rows 0 .. T-1: (h_i, x_{i+1}); the last one drafts x_{T+1}.
  std::vector<Model::MTPRow> mrows;
  for (int64_t i = 0; i < T; ++i)
    mrows.push_back({i + 1 < T ? prompt[size_t(i + 1)] : pending, i, &cache, &hid[size_t(i * D)]});
  std::vector<float> mlog(size_t(T * V));
  m.mtp_forward(mrows, mlog.data());
  int32_t draft = argmax(&mlog[size_t((T - 1) * V)], V);
  int64_t pos = T;  // position of `pending`
  std::vector<float> logits(size_t(2 * V)), h2(size_t(2 * D)), dl(size_t(2 * V));
  while (!done && pos + 1 < ctx) {
    m.forward_rows({{pending, pos, &cache, true}, {draft, pos + 1, &cache, true}}, logits.data(), h2.data());
    ++st.steps, ++st.drafted;
    const int32_t y = argmax(logits.data(), V);
    emit(y);
    if (y == draft && !done) {  // accepted: the main model's token after the draft comes for free
      ++st.accepted;
      const int32_t z = argmax(&logits[size_t(V)], V);
      emit(z);
      m.mtp_forward({{y, pos, &cache, h2.data()}, {z, pos + 1, &cache, &h2[size_t(D)]}}, dl.data());
      draft = argmax(&dl[size_t(V)], V);
      pending = z;
      pos += 2;
    } else {
      if (y == draft) ++st.accepted;
      m.mtp_forward({{y, pos, &cache, h2.data()}}, dl.data());
      draft = argmax(dl.data(), V);
      pending = y;
      pos += 1;
    }
  }
  r.decode_seconds = std::chrono::duration<double>(clock::now() - t0).count();
  if (stats) *stats = st;
  return r;
}

}  // namespace r1
