#include "server/stop_matcher.h"

#include <gtest/gtest.h>

namespace r1::server {
namespace {

std::string feed(StopMatcher& m, const std::string& text, size_t step) {
  std::string out;
  for (size_t i = 0; i < text.size(); i += step) out += m.push(text.substr(i, step));
  return out + m.flush();
}

TEST(StopMatcher, CutsBeforeTheFirstStopForAnyChunking) {
  for (size_t step = 1; step <= 6; ++step) {
    StopMatcher m({"END", "\n\n"});
    EXPECT_EQ(feed(m, "hello EN world END tail", step), "hello EN world ") << step;
    EXPECT_TRUE(m.stopped());
  }
}

TEST(StopMatcher, HoldsBackOnlyPossiblePrefixes) {
  StopMatcher m({"stop"});
  EXPECT_EQ(m.push("abc st"), "abc ");
  EXPECT_EQ(m.push("x"), "stx");
  EXPECT_EQ(m.push("sto"), "");
  EXPECT_EQ(m.flush(), "sto");  // never completed: released at the end
  EXPECT_FALSE(m.stopped());
}

}  // namespace
}  // namespace r1::server
