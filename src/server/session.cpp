#include "server/session.h"

#include <algorithm>

namespace r1::server {

Session::Session(const tok::Tokenizer& t, std::vector<std::string> stops, bool split_reasoning, bool in_reasoning)
    : tok_(t), dec_(t, /*skip_special=*/true), stop_(std::move(stops)), split_(split_reasoning), reasoning_(in_reasoning) {}

void Session::emit(const std::string& text) {
  if (text.empty()) return;
  Delta d;
  if (split_) {
    const tok::ReasoningDelta r = reasoning_.push(text);
    d.content = r.content;
    d.reasoning = r.reasoning;
  } else {
    d.content = text;
  }
  if (!d.content.empty() || !d.reasoning.empty()) pending_.push_back(std::move(d));
}

bool Session::on_token(int32_t id) {
  std::lock_guard<std::mutex> l(mu_);
  emit(stop_.push(dec_.push(id)));
  // Wake the HTTP thread for the first text, then when kFlushDeltas deltas are waiting or kFlushInterval has
  // passed since the last wake-up: at high token rates (many sequences, small models) that saves a context switch
  // and a socket write per token, for at most kFlushInterval of extra latency on a chunk. (At 16 clients on the
  // tiny test model, 16 deltas instead of 4 gave ~10 % more aggregate tokens/s; a 16-token batch is 8 ms there.)
  const auto now = std::chrono::steady_clock::now();
  if (!pending_.empty() && (!notified_ || pending_.size() >= kFlushDeltas || now - last_notify_ >= kFlushInterval)) {
    notified_ = true;
    last_notify_ = now;
    cv_.notify_one();
  }
  return !stop_.stopped();
}

void Session::on_done(const std::string& reason, int64_t completion_tokens, const std::string& error) {
  std::lock_guard<std::mutex> l(mu_);
  if (!stop_.stopped()) emit(stop_.push(dec_.flush()));
  emit(stop_.flush());
  if (split_) {
    const tok::ReasoningDelta r = reasoning_.finish();
    if (!r.content.empty() || !r.reasoning.empty()) pending_.push_back({r.content, r.reasoning});
  }
  reason_ = stop_.stopped() ? "stop" : reason;
  error_ = error;
  completion_tokens_ = completion_tokens;
  done_ = true;
  cv_.notify_all();
}

Session::Next Session::next(std::deque<Delta>* out, std::chrono::milliseconds wait) {
  std::unique_lock<std::mutex> l(mu_);
  // Woken by on_token / on_done; a short timeout also picks up text whose notification was held back.
  const auto deadline = std::chrono::steady_clock::now() + wait;
  while (!done_ && pending_.empty()) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return Next::Idle;
    cv_.wait_until(l, std::min(deadline, now + 2 * kFlushInterval));
  }
  if (pending_.empty()) return Next::Done;
  out->swap(pending_);
  pending_.clear();
  return Next::Data;
}

bool Session::done() const {
  std::lock_guard<std::mutex> l(mu_);
  return done_;
}

std::string Session::finish_reason() const {
  std::lock_guard<std::mutex> l(mu_);
  return reason_;
}

std::string Session::error() const {
  std::lock_guard<std::mutex> l(mu_);
  return error_;
}

int64_t Session::completion_tokens() const {
  std::lock_guard<std::mutex> l(mu_);
  return completion_tokens_;
}

}  // namespace r1::server
