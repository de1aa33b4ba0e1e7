// Stop sequences over streamed text: push() returns the text that is safe to emit; a tail that could still
// become a stop sequence is held back. Once a stop sequence appears, the text before it is released and
// stopped() turns true; what follows is dropped.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace r1::server {

class StopMatcher {
 public:
  explicit StopMatcher(std::vector<std::string> stops) : stops_(std::move(stops)) {}
  std::string push(std::string_view text);
  std::string flush();  // at the end: the held-back tail
  bool stopped() const { return stopped_; }

 private:
  std::vector<std::string> stops_;
  std::string held_;
  bool stopped_ = false;
};

}  // namespace r1::server
