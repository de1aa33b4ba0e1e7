#include "runtime/batch_sampler.h"

#include <algorithm>
#include <memory>

#include "core/error.h"
#include "runtime/kv_cache.h"

namespace r1 {

std::vector<SampledCompletion> sample_batch(const Model& m, const std::vector<std::vector<int32_t>>& prompts,
                                            const BatchSampleParams& p) {
  const ModelConfig& c = m.config();
  require(p.n > 0 && p.max_tokens > 0, "sample_batch: n and max_tokens must be positive");
  const int64_t V = c.vocab_size;
  struct Seq {
    std::unique_ptr<LatentKVCache> cache;
    Sampler sampler;
    int64_t pos = 0;  // next position to fill
    int32_t last = 0;
    bool done = false;
  };
  std::vector<SampledCompletion> out;
  std::vector<Seq> seqs;
  std::vector<float> logits(static_cast<size_t>(V));
  for (size_t i = 0; i < prompts.size(); ++i) {
    const auto& pr = prompts[i];
    require(!pr.empty(), "sample_batch: prompt " + std::to_string(i) + " is empty");
    const int64_t cap = int64_t(pr.size()) + p.max_tokens;
    if (c.max_seq_len > 0 && cap > c.max_seq_len)
      throw Error("sample_batch: prompt " + std::to_string(i) + " (" + std::to_string(pr.size()) + " tokens) plus " +
                  std::to_string(p.max_tokens) + " new tokens exceeds the model's context of " +
                  std::to_string(c.max_seq_len));
    LatentKVCache base(c, cap, 0, p.cache_type);
    m.forward(pr.data(), int64_t(pr.size()), 0, base, logits.data());
    for (int64_t j = 0; j < p.n; ++j) {
      SamplerParams sp{p.temperature, p.top_k, p.top_p, p.seed * 0x9E3779B97F4A7C15ull + i * 1000003ull + uint64_t(j)};
      Seq s{std::make_unique<LatentKVCache>(base), Sampler(sp), int64_t(pr.size()), 0, false};
      const int32_t t = s.sampler.sample(logits.data(), V);
      out.push_back({int64_t(i), {t}, false});
      s.last = t;
      if (std::find(p.stop.begin(), p.stop.end(), t) != p.stop.end()) {
        s.done = true;
        out.back().finished = true;
      } else if (p.max_tokens == 1) {
        s.done = true;
      }
      seqs.push_back(std::move(s));
    }
  }
  std::vector<float> step_logits;
  for (;;) {
    std::vector<Model::Row> rows;
    std::vector<size_t> idx;
    for (size_t k = 0; k < seqs.size(); ++k)
      if (!seqs[k].done) {
        rows.push_back({seqs[k].last, seqs[k].pos, seqs[k].cache.get(), true});
        idx.push_back(k);
      }
    if (rows.empty()) break;
    step_logits.resize(rows.size() * size_t(V));
    m.forward_rows(rows, step_logits.data());
    for (size_t r = 0; r < idx.size(); ++r) {
      Seq& s = seqs[idx[r]];
      SampledCompletion& o = out[idx[r]];
      ++s.pos;
      const int32_t t = s.sampler.sample(&step_logits[r * size_t(V)], V);
      o.tokens.push_back(t);
      s.last = t;
      if (std::find(p.stop.begin(), p.stop.end(), t) != p.stop.end()) {
        s.done = o.finished = true;
      } else if (int64_t(o.tokens.size()) >= p.max_tokens) {
        s.done = true;
      }
      if (s.done) s.cache.reset();  // free memory early
    }
  }
  return out;
}

}  // namespace r1
