#include "runtime/engine.h"

#include <algorithm>
#include <chrono>

#include "core/error.h"
#include "core/threads.h"
#include "runtime/spec_decoder.h"

namespace r1 {

struct Engine::Active {
  std::shared_ptr<Job> job;
  std::unique_ptr<PagedSequenceCache> cache;
  std::unique_ptr<Sampler> sampler;
  int32_t next = 0;       // last sampled token, fed at position `pos` in the next step
  int64_t pos = 0;
  int64_t generated = 0;
  int64_t prefilled = 0;   // prompt positions already in the cache
  bool counted = false;    // its tokens are in completion_tokens_ already
  bool prefilling = true;  // until the whole prompt is in the cache and the first token is sampled
  SpecSeq spec;            // with EngineOptions::spec
};

Engine::Engine(const Model& m, const EngineOptions& o) : m_(m), opt_(o) {
  require(o.max_parallel >= 1, "--parallel must be at least 1");
  require(o.context >= 2, "--ctx must be at least 2");
  const int64_t per_seq = (o.context + o.page_tokens - 1) / o.page_tokens;
  const int64_t pages = o.pages > 0 ? o.pages : per_seq * (o.max_parallel + 1);
  if (o.spec) require(m.has_mtp(), m.dir() + ": no MTP module in the checkpoint; --spec mtp needs one");
  pool_ = std::make_unique<PagePool>(m.config(), pages, o.page_tokens, o.spec ? 1 : 0, o.cache_type);
  worker_ = std::thread([this] { loop(); });
}

Engine::~Engine() {
  shutdown(false);
  if (worker_.joinable()) worker_.join();
}

std::shared_ptr<Engine::Job> Engine::submit(EngineRequest r) {
  auto j = std::make_shared<Job>(std::move(r));
  {
    std::lock_guard<std::mutex> l(mu_);
    // Requests that will get a free slot at the next step do not count against the waiting room.
    const int64_t free_slots = std::max<int64_t>(0, opt_.max_parallel - int64_t(active_.size()) - admitting_);
    if (stopping_ || int64_t(queue_.size()) - free_slots >= opt_.queue_max) {
      ++stats_.rejected;
      return nullptr;
    }
    queue_.push_back(j);
    ++stats_.requests;
  }
  cv_.notify_one();
  return j;
}

void Engine::cancel(const std::shared_ptr<Job>& j) {
  if (!j) return;
  j->cancelled = true;
  bool was_queued = false;
  {
    std::lock_guard<std::mutex> l(mu_);
    for (auto it = queue_.begin(); it != queue_.end(); ++it)
      if (*it == j) {
        queue_.erase(it);
        was_queued = true;
        break;
      }
  }
  if (was_queued && j->req.on_done) j->req.on_done("cancelled", 0, "");  // frees its queue place now
  cv_.notify_one();
}

void Engine::shutdown(bool drain) {
  {
    std::lock_guard<std::mutex> l(mu_);
    stopping_ = true;
    drain_ = drain;
  }
  cv_.notify_one();
  if (worker_.joinable() && std::this_thread::get_id() != worker_.get_id()) worker_.join();
}

EngineStats Engine::stats() const {
  std::lock_guard<std::mutex> l(mu_);
  EngineStats s = stats_;
  s.queue_depth = int64_t(queue_.size());
  s.completion_tokens = completion_tokens_;
  return s;
}

// Never called with mu_ held: the callback may call back into the engine.
void Engine::finish(Active& a, const std::string& reason, const std::string& error) {
  if (!a.counted) completion_tokens_ += a.generated;
  a.counted = true;
  a.cache.reset();  // frees its pages now
  if (a.job->req.on_done) a.job->req.on_done(reason, a.generated, error);
}

// Gives a newly admitted sequence its pages (mapping cached prefix pages). False if it finished already.
bool Engine::admit(Active* a) {
  const EngineRequest& r = a->job->req;
  a->cache = std::make_unique<PagedSequenceCache>(*pool_, opt_.context);
  const int64_t n = int64_t(r.prompt.size());
  a->prefilled = a->cache->attach_prefix(r.prompt);
  if (!a->cache->reserve(n + 1)) {
    finish(*a, "error", "the KV cache pool is exhausted");
    return false;
  }
  a->sampler = std::make_unique<Sampler>(r.sampler);
  a->pos = n;
  if (opt_.spec) {
    a->spec.cache = a->cache.get();
    a->spec.sampler = a->sampler.get();
    a->spec.pos = a->spec.mtp_done = a->prefilled;  // attached pages hold MTP rows too (paged_cache.h)
    if (a->prefilled > 0) a->spec.mtp_next = r.prompt[size_t(a->prefilled)];
  }
  std::lock_guard<std::mutex> l(mu_);
  stats_.prompt_tokens += n;
  stats_.cached_prompt_tokens += a->prefilled;
  return true;
}

// Runs the next chunk of a sequence's prompt; after the last one, samples its first token.
// False if the sequence finished.
bool Engine::prefill_chunk(Active* a) {
  const EngineRequest& r = a->job->req;
  const ModelConfig& c = m_.config();
  const auto t0 = std::chrono::steady_clock::now();
  const int64_t n = int64_t(r.prompt.size());
  const int64_t chunk = std::min(opt_.prefill_chunk, n - a->prefilled);
  std::vector<float> logits(static_cast<size_t>(c.vocab_size));
  const bool last = a->prefilled + chunk == n;
  int32_t tok = -1;
  if (opt_.spec) tok = spec_extend(m_, a->spec, r.prompt, a->prefilled, a->prefilled + chunk, last);
  else m_.forward(r.prompt.data() + a->prefilled, chunk, a->prefilled, *a->cache, logits.data());
  a->prefilled += chunk;
  {
    std::lock_guard<std::mutex> l(mu_);
    stats_.prefill_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  if (a->prefilled < n) return true;
  a->cache->publish_prefix(r.prompt);
  a->prefilling = false;
  if (!opt_.spec) tok = a->sampler->sample(logits.data(), c.vocab_size);
  return deliver(*a, tok);
}

bool Engine::deliver(Active& a, int32_t tok) {
  const EngineRequest& r = a.job->req;
  if (!r.ignore_eos && tok == m_.config().eos_token_id) {
    finish(a, "stop");
    return false;
  }
  ++a.generated;
  a.next = tok;
  if (r.on_token && !r.on_token(tok)) {
    finish(a, "stop");
    return false;
  }
  if (a.generated >= r.max_tokens || a.pos + 1 >= opt_.context) {
    finish(a, "length");
    return false;
  }
  return true;
}

void Engine::loop() {
  use_compute_threads();  // --threads applies to this worker too
  const ModelConfig& c = m_.config();
  std::vector<float> logits;
  for (;;) {
    // Admit every waiting request that has a slot (their prompts are prefilled below, a chunk per step).
    std::vector<std::shared_ptr<Job>> admitted;
    {
      std::unique_lock<std::mutex> l(mu_);
      cv_.wait(l, [&] { return stopping_ || !queue_.empty() || !active_.empty(); });
      if (stopping_ && (!drain_ || (queue_.empty() && active_.empty()))) break;
      while (!queue_.empty() && int64_t(active_.size() + admitted.size()) < opt_.max_parallel) {
        admitted.push_back(queue_.front());
        queue_.pop_front();
      }
      // A request leaving the queue holds its slot and counts as active at once: /metrics must never see it in
      // neither place (a client waiting for "nothing queued, nothing active" would read the figures too early).
      admitting_ = int64_t(admitted.size());
      stats_.active = int64_t(active_.size()) + admitting_;
    }
    for (const auto& next : admitted) {
      std::unique_ptr<Active> a;
      if (next->cancelled) {
        if (next->req.on_done) next->req.on_done("cancelled", 0, "");
      } else {
        a = std::make_unique<Active>();
        a->job = next;
        try {
          if (!admit(a.get())) a.reset();
        } catch (const std::exception& e) {
          finish(*a, "error", e.what());
          a.reset();
        }
      }
      std::lock_guard<std::mutex> l(mu_);
      --admitting_;
      if (a) active_.push_back(std::move(a));
      stats_.active = int64_t(active_.size()) + admitting_;
    }
    // Prompt chunks, oldest sequence first, up to prefill_chunk tokens in all (at least one chunk), so running
    // sequences keep streaming while new ones join the batch within a step or two. A sequence's chunks are
    // always min(prefill_chunk, what is left): its numbers never depend on who else is prefilling.
    std::vector<Active*> prefilling;
    {
      std::lock_guard<std::mutex> l(mu_);
      int64_t budget = opt_.prefill_chunk;
      for (auto& a : active_) {
        if (!a->prefilling || a->job->cancelled) continue;
        const int64_t take = std::min<int64_t>(opt_.prefill_chunk, int64_t(a->job->req.prompt.size()) - a->prefilled);
        if (!prefilling.empty() && take > budget) break;
        prefilling.push_back(a.get());
        budget -= take;
      }
    }
    for (Active* pf : prefilling) {
      bool alive = false;
      try {
        alive = prefill_chunk(pf);
      } catch (const std::exception& e) {
        finish(*pf, "error", e.what());
      }
      if (!alive) {
        std::lock_guard<std::mutex> l(mu_);
        for (auto it = active_.begin(); it != active_.end(); ++it)
          if (it->get() == pf) {
            active_.erase(it);
            break;
          }
      }
    }
    // Drop cancelled sequences, then one decode step for all the others.
    std::vector<Active*> rows_of;
    std::vector<std::unique_ptr<Active>> cancelled;
    {
      std::lock_guard<std::mutex> l(mu_);
      for (auto it = active_.begin(); it != active_.end();) {
        if ((*it)->job->cancelled) {
          // Count its tokens before it leaves the active set, so the metrics never see it gone but uncounted.
          completion_tokens_ += (*it)->generated;
          (*it)->counted = true;
          cancelled.push_back(std::move(*it));
          it = active_.erase(it);
        } else {
          if (!(*it)->prefilling) rows_of.push_back(it->get());
          ++it;
        }
      }
      stats_.active = int64_t(active_.size());
    }
    for (auto& a : cancelled) finish(*a, "cancelled");
    // Every row needs a page for its position (and the draft's); a sequence that cannot get one ends with an error.
    std::vector<Active*> done;
    for (Active* a : rows_of)
      if (!a->cache->reserve(std::min(a->pos + (opt_.spec ? 2 : 1), opt_.context))) {
        finish(*a, "error", "the KV cache pool is exhausted");
        done.push_back(a);
      }
    std::vector<Model::Row> rows;
    std::vector<SpecSeq*> specs;
    std::vector<Active*> stepping;
    for (Active* a : rows_of)
      if (a->cache) {
        rows.push_back({a->next, a->pos, a->cache.get(), true});
        specs.push_back(&a->spec);
        stepping.push_back(a);
      }
    rows_of.swap(stepping);
    // Tokens per sequence from this step: one, or with speculation one or two.
    std::vector<std::vector<int32_t>> emitted;
    SpecStats before, after;
    for (const SpecSeq* s : specs) before.add(s->stats);
    const auto t0 = std::chrono::steady_clock::now();
    try {
      if (!rows.empty() && opt_.spec) {
        spec_step(m_, specs, emitted);
      } else if (!rows.empty()) {
        logits.resize(rows.size() * size_t(c.vocab_size));
        m_.forward_rows(rows, logits.data());
        emitted.resize(rows.size());
        for (size_t i = 0; i < rows_of.size(); ++i)
          emitted[i] = {rows_of[i]->sampler->sample(&logits[i * size_t(c.vocab_size)], c.vocab_size)};
      }
    } catch (const std::exception& ex) {  // never let the worker die: fail this step's requests
      for (Active* a : rows_of) {
        finish(*a, "error", ex.what());
        done.push_back(a);
      }
      rows_of.clear();
    }
    const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    for (const SpecSeq* s : specs) after.add(s->stats);
    for (size_t i = 0; i < rows_of.size(); ++i) {
      Active& a = *rows_of[i];
      for (int32_t tok : emitted[i]) {
        ++a.pos;
        if (!deliver(a, tok)) {
          done.push_back(&a);
          break;
        }
      }
    }
    std::lock_guard<std::mutex> l(mu_);
    if (!rows.empty()) {
      stats_.decode_seconds += dt;
      ++stats_.decode_steps;
      stats_.decode_rows += int64_t(rows.size());
      for (const auto& e : emitted) stats_.decode_tokens += int64_t(e.size());
      stats_.spec_drafted += after.drafted - before.drafted;
      stats_.spec_accepted += after.accepted - before.accepted;
    }
    for (Active* d : done)
      for (auto it = active_.begin(); it != active_.end(); ++it)
        if (it->get() == d) {
          active_.erase(it);
          break;
        }
    stats_.active = int64_t(active_.size());
  }
  // Whatever is left is cancelled (callbacks run outside the lock).
  std::vector<std::unique_ptr<Active>> left;
  std::deque<std::shared_ptr<Job>> waiting;
  {
    std::lock_guard<std::mutex> l(mu_);
    left.swap(active_);
    waiting.swap(queue_);
    stats_.active = 0;
  }
  for (auto& a : left) finish(*a, "cancelled");
  for (auto& j : waiting)
    if (j->req.on_done) j->req.on_done("cancelled", 0, "");
}

}  // namespace r1
