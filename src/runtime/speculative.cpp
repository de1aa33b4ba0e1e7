#include "runtime/speculative.h"

#include <chrono>

#include "core/error.h"
#include "runtime/kv_cache.h"

namespace r1 {

GenerateResult generate_mtp(const Model& m, const std::vector<int32_t>& prompt, const GenerateParams& p,
                            const std::function<bool(int32_t)>& on_token, SpecStats* stats) {
  const ModelConfig& c = m.config();
  require(m.has_mtp(), m.dir() + ": no MTP module in the checkpoint; speculative decoding needs one (--spec none)");
  require(!prompt.empty(), "the prompt is empty");
  require(p.max_tokens >= 0, "max tokens must be >= 0");
  const int64_t T = int64_t(prompt.size());
  const int64_t ctx = p.context > 0 ? p.context : T + std::max<int64_t>(p.max_tokens, 1);
  if (T > ctx)
    throw Error("prompt of " + std::to_string(T) + " tokens is longer than the context of " + std::to_string(ctx) +
                " tokens");
  LatentKVCache cache(c, ctx, /*extra_layers=*/1, p.cache_type);
  Sampler sampler(p.sampler);
  SpecSeq s;
  s.cache = &cache;
  s.sampler = &sampler;
  GenerateResult r;
  r.finish_reason = "length";
  if (p.max_tokens == 0) return r;
  using clock = std::chrono::steady_clock;
  auto t0 = clock::now();
  bool done = false;
  auto emit = [&](int32_t tok) {
    if (done) return;
    r.tokens.push_back(tok);
    if (on_token && !on_token(tok)) done = true;
    if (!p.ignore_eos && tok == c.eos_token_id) r.finish_reason = "stop", done = true;
    if (int64_t(r.tokens.size()) >= p.max_tokens) done = true;
  };
  emit(spec_extend(m, s, prompt, 0, T, /*sample_last=*/true));
  r.prefill_seconds = std::chrono::duration<double>(clock::now() - t0).count();
  t0 = clock::now();
  std::vector<std::vector<int32_t>> out;
  while (!done && s.pos < ctx) {  // the pending token's row must fit
    spec_step(m, {&s}, out);
    for (int32_t t : out[0]) emit(t);
  }
  r.decode_seconds = std::chrono::duration<double>(clock::now() - t0).count();
  if (stats) *stats = s.stats;
  return r;
}

}  // namespace r1
