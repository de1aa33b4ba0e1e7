#include "autograd/prof.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace r1::ag::prof {

namespace {
struct Totals {
  const bool on = std::getenv("R1_AG_PROF") != nullptr && std::getenv("R1_AG_PROF")[0] == '1';
  std::mutex mu;
  std::map<std::string, std::pair<double, long long>> t;  // name -> (seconds, calls)
  ~Totals() {
    if (!on || t.empty()) return;
    std::vector<std::pair<std::string, std::pair<double, long long>>> v(t.begin(), t.end());
    std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.second.first > b.second.first; });
    std::fprintf(stderr, "r1 autograd profile (inclusive wall seconds):\n");
    for (const auto& [name, st] : v) std::fprintf(stderr, "  %-28s %9.4f s  %8lld calls\n", name.c_str(), st.first, st.second);
  }
};
Totals& totals() {
  static Totals t;
  return t;
}
}  // namespace

bool enabled() {
  static const bool on = totals().on;
  return on;
}

void add(const char* name, double seconds) {
  Totals& t = totals();
  std::lock_guard<std::mutex> lock(t.mu);
  auto& e = t.t[name];
  e.first += seconds;
  ++e.second;
}

}  // namespace r1::ag::prof
