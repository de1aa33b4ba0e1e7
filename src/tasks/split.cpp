#include "tasks/split.h"

#include <unordered_set>

#include "core/error.h"

namespace r1::tasks {

uint64_t split_hash(std::string_view text, std::string_view salt) {
  uint64_t h = 0xcbf29ce484222325ull;
  auto feed = [&h](std::string_view s) {
    for (unsigned char c : s) {
      h ^= c;
      h *= 0x100000001b3ull;
    }
  };
  feed(salt);
  feed("\n");
  feed(text);
  h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ull;
  h = (h ^ (h >> 27)) * 0x94d049bb133111ebull;
  return h ^ (h >> 31);
}

Split split_of(const Task& task, const Problem& p, const SplitSpec& spec) {
  require(spec.test_fraction > 0 && spec.test_fraction < 1, "split: test_fraction must be in (0, 1)");
  // Top 53 bits as a double in [0, 1): exact, no platform-dependent rounding.
  const double u = double(split_hash(task.canonical(p), spec.salt) >> 11) * (1.0 / 9007199254740992.0);
  return u < spec.test_fraction ? Split::test : Split::train;
}

Problem sample_split(const Task& task, Rng& rng, Split split, const SplitSpec& spec, int max_tries) {
  for (int i = 0; i < max_tries; ++i) {
    Problem p = task.sample(rng);
    if (split_of(task, p, spec) == split) return p;
  }
  throw Error("task " + task.name() + ": no " + (split == Split::test ? "test" : "train") + " problem in " +
              std::to_string(max_tries) + " draws (test_fraction " + std::to_string(spec.test_fraction) + ")");
}

std::vector<Problem> make_problem_set(const Task& task, Split split, size_t n, uint64_t seed, const SplitSpec& spec) {
  Rng rng(seed);
  std::vector<Problem> out;
  std::unordered_set<std::string> seen;
  const size_t max_draws = 1000 + 200 * n;
  size_t draws = 0;
  while (out.size() < n) {
    if (draws >= max_draws)
      throw Error("task " + task.name() + ": found only " + std::to_string(out.size()) + " distinct " +
                  (split == Split::test ? "test" : "train") + " problems of " + std::to_string(n) +
                  " wanted after " + std::to_string(draws) + " draws; widen the task's ranges");
    ++draws;
    Problem p = task.sample(rng);
    if (split_of(task, p, spec) != split) continue;
    if (!seen.insert(task.canonical(p)).second) continue;
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace r1::tasks
