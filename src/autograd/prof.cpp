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
  struct Entry {
    double seconds = 0, gemm = 0;
    long long calls = 0;
  };
  std::map<std::string, Entry> t;
  ~Totals() {
    if (!on || t.empty()) return;
    std::vector<std::pair<std::string, Entry>> v(t.begin(), t.end());
    std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.second.seconds > b.second.seconds; });
    std::fprintf(stderr, "r1 autograd profile (inclusive wall seconds; of which in sgemm; the rest):\n");
    for (const auto& [name, e] : v)
      std::fprintf(stderr, "  %-28s %9.4f s  sgemm %9.4f s  other %9.4f s  %8lld calls\n", name.c_str(), e.seconds,
                   e.gemm, e.seconds - e.gemm, e.calls);
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

void add(const char* name, double seconds, double gemm_seconds) {
  Totals& t = totals();
  std::lock_guard<std::mutex> lock(t.mu);
  auto& e = t.t[name];
  e.seconds += seconds;
  e.gemm += gemm_seconds;
  ++e.calls;
}

double& gemm_clock() {
  thread_local double s = 0;
  return s;
}

}  // namespace r1::ag::prof
