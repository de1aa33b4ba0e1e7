// One generation request in flight: turns the engine's tokens into text deltas (UTF-8-safe decoding, stop
// sequences, reasoning split) and hands them to the HTTP thread that waits on it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>

#include "runtime/engine.h"
#include "server/stop_matcher.h"
#include "tokenizer/reasoning.h"
#include "tokenizer/tokenizer.h"

namespace r1::server {

struct Delta {
  std::string content, reasoning;
};

class Session {
 public:
  Session(const tok::Tokenizer& t, std::vector<std::string> stops, bool split_reasoning, bool in_reasoning);

  // Engine callbacks (engine thread).
  bool on_token(int32_t id);
  void on_done(const std::string& reason, int64_t completion_tokens, const std::string& error);

  // HTTP side: waits up to `wait` for the next deltas. Data: *out holds them; Idle: nothing yet (the caller
  // can probe its client); Done: everything was taken and the request has ended.
  enum class Next { Data, Idle, Done };
  Next next(std::deque<Delta>* out, std::chrono::milliseconds wait);
  bool done() const;
  std::string finish_reason() const;  // "stop" | "length" | "cancelled" | "error"
  std::string error() const;
  int64_t completion_tokens() const;

 private:
  void emit(const std::string& text);  // through the reasoning split, into the queue (mu_ held)

  const tok::Tokenizer& tok_;
  tok::StreamDecoder dec_;
  StopMatcher stop_;
  bool split_;
  tok::ReasoningSplitter reasoning_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Delta> pending_;
  bool done_ = false;
  bool notified_ = false;  // the HTTP thread was woken for text at least once
  std::chrono::steady_clock::time_point last_notify_{};
  static constexpr size_t kFlushDeltas = 16;
  static constexpr std::chrono::milliseconds kFlushInterval{10};
  std::string reason_, error_;
  int64_t completion_tokens_ = 0;
};

}  // namespace r1::server
