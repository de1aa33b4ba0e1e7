// Held-out evaluation split. A problem belongs to the test split when a 64-bit hash of its canonical text
// (Task::canonical, salted) falls below test_fraction of the hash range; otherwise to train. The mapping is a
// pure function of the canonical text, so it is the same on every run and machine, and problems that differ only
// in presentation (e.g. the order countdown numbers are shown in) land in the same split.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tasks/task.h"

namespace r1::tasks {

enum class Split { train, test };

struct SplitSpec {
  double test_fraction = 0.1;          // share of the problem space held out, in (0, 1)
  std::string salt = "r1-tasks-v1";    // changing it draws a different (still deterministic) split
};

// FNV-1a over salt + '\n' + text, finished with splitmix64's mixer.
uint64_t split_hash(std::string_view text, std::string_view salt);
Split split_of(const Task& task, const Problem& p, const SplitSpec& spec = {});

// Draws task.sample(rng) until a problem of the wanted split comes up. Throws r1::Error after max_tries draws.
Problem sample_split(const Task& task, Rng& rng, Split split, const SplitSpec& spec = {}, int max_tries = 100000);

// n distinct problems (by canonical text) of one split, drawn with Rng(seed). Deterministic for a seed. Throws
// r1::Error when the split does not hold n distinct problems reachable in a reasonable number of draws.
std::vector<Problem> make_problem_set(const Task& task, Split split, size_t n, uint64_t seed,
                                      const SplitSpec& spec = {});

}  // namespace r1::tasks
