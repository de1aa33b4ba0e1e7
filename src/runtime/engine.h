// Continuous batching over one model (the server's engine). Requests wait in a bounded queue; a worker
// thread admits every waiting request that has a slot between decode steps (prefilling prompts in chunks,
// prefill_chunk tokens in all per step, reusing cached prefix pages), then runs
// one batched step for every active sequence (Model::forward_rows: each weight, and each chosen expert, is
// read once for all of them), samples per sequence and hands each token to the request's callback.
// Finished or cancelled sequences leave at once and free their pages. With `spec`, each sequence brings two rows
// to the step (its pending token and the MTP module's draft) and may emit two tokens.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "model/transformer.h"
#include "runtime/paged_cache.h"
#include "runtime/sampler.h"

namespace r1 {

struct EngineOptions {
  int64_t max_parallel = 4;   // sequences decoded together
  int64_t context = 4096;     // positions per sequence
  int64_t queue_max = 64;     // requests waiting for a busy slot beyond which submit() refuses
  int64_t pages = 0;          // pool size in pages; 0: enough for max_parallel full contexts (+ prefix cache)
  int64_t page_tokens = 16;
  int64_t prefill_chunk = 64;  // prompt tokens per step (in chunks of this size, oldest prompts first)
  bool spec = false;           // MTP self-speculative decoding (runtime/spec_decoder.h) for every sequence
  DType cache_type = DType::F32;  // the page pool's storage type: F32, BF16 or F8_E4M3 (kernels/cache_row.h)
};

struct EngineRequest {
  std::vector<int32_t> prompt;
  int64_t max_tokens = 16;
  SamplerParams sampler;
  bool ignore_eos = false;
  // Called on the engine thread for every generated token (EOS excluded); return false to stop ("stop").
  std::function<bool(int32_t)> on_token;
  // Called once at the end: finish_reason "stop" | "length" | "cancelled" | "error", with a message on error.
  std::function<void(const std::string& finish_reason, int64_t completion_tokens, const std::string& error)> on_done;
};

struct EngineStats {
  int64_t requests = 0, prompt_tokens = 0, cached_prompt_tokens = 0, completion_tokens = 0;
  int64_t queue_depth = 0, active = 0, rejected = 0;
  double decode_seconds = 0, prefill_seconds = 0;
  int64_t decode_steps = 0, decode_rows = 0;  // rows: sequences stepped, summed over steps
  int64_t decode_tokens = 0;                  // tokens the decode steps produced (> rows with speculation)
  int64_t spec_drafted = 0, spec_accepted = 0;  // with EngineOptions::spec
};

class Engine {
 public:
  Engine(const Model& m, const EngineOptions& o);
  ~Engine();  // cancels whatever is left and joins the worker

  class Job;
  // Queues a request; returns nullptr when the queue is full (the caller answers 503).
  std::shared_ptr<Job> submit(EngineRequest r);
  // Stops a queued or running request soon (its on_done gets "cancelled"); safe from any thread.
  void cancel(const std::shared_ptr<Job>& j);
  // Stops taking requests; in-flight ones finish (drain) or are cancelled.
  void shutdown(bool drain);
  EngineStats stats() const;
  const EngineOptions& options() const { return opt_; }
  const PagePool& pool() const { return *pool_; }  // its size and bytes per token

 private:
  struct Active;
  void loop();
  bool admit(Active* a);
  bool prefill_chunk(Active* a);
  void finish(Active& a, const std::string& reason, const std::string& error = "");
  // Hands a generated token to the request; true if the sequence goes on (false: it finished).
  bool deliver(Active& a, int32_t tok);

  const Model& m_;
  EngineOptions opt_;
  std::unique_ptr<PagePool> pool_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<Job>> queue_;
  int64_t admitting_ = 0;  // requests taken from queue_ and not yet in active_ (guarded by mu_): they hold slots
  std::vector<std::unique_ptr<Active>> active_;
  bool stopping_ = false, drain_ = true;
  EngineStats stats_;
  std::atomic<int64_t> completion_tokens_{0};
  std::thread worker_;
};

class Engine::Job {
 public:
  explicit Job(EngineRequest r) : req(std::move(r)) {}
  EngineRequest req;
  std::atomic<bool> cancelled{false};
};

}  // namespace r1
