#include "runtime/generate.h"

#include <chrono>

#include "core/error.h"
#include "runtime/kv_cache.h"

namespace r1 {

GenerateResult generate(const Model& m, const std::vector<int32_t>& prompt, const GenerateParams& p,
                        const std::function<bool(int32_t)>& on_token) {
  const ModelConfig& c = m.config();
  require(!prompt.empty(), "the prompt is empty");
  require(p.max_tokens >= 0, "max tokens must be >= 0");
  const int64_t ctx = p.context > 0 ? p.context : int64_t(prompt.size()) + std::max<int64_t>(p.max_tokens, 1);
  if (int64_t(prompt.size()) > ctx)
    throw Error("prompt of " + std::to_string(prompt.size()) + " tokens is longer than the context of " +
                std::to_string(ctx) + " tokens");
  LatentKVCache cache(c, ctx, 0, p.cache_type);
  Sampler sampler(p.sampler);
  std::vector<float> logits(size_t(c.vocab_size));
  GenerateResult r;
  r.finish_reason = "length";
  using clock = std::chrono::steady_clock;
  auto t0 = clock::now();
  m.forward(prompt.data(), int64_t(prompt.size()), 0, cache, logits.data(), p.attn);
  r.prefill_seconds = std::chrono::duration<double>(clock::now() - t0).count();
  t0 = clock::now();
  int64_t pos = int64_t(prompt.size());
  for (int64_t i = 0; i < p.max_tokens; ++i) {
    const int32_t tok = sampler.sample(logits.data(), c.vocab_size);
    r.tokens.push_back(tok);
    if (on_token && !on_token(tok)) break;
    if (!p.ignore_eos && tok == c.eos_token_id) {
      r.finish_reason = "stop";
      break;
    }
    if (i + 1 == p.max_tokens) break;
    if (pos >= ctx) break;  // context full
    m.decode(tok, pos, cache, logits.data(), p.attn);
    ++pos;
  }
  r.decode_seconds = std::chrono::duration<double>(clock::now() - t0).count();
  return r;
}

}  // namespace r1
