// The machine's memory read bandwidth, measured the way decode reads weights: every thread streams its share
// of a buffer far larger than the caches (anonymous memory on huge pages), summing 32-byte loads in four
// independent chains. `r1 bench --bandwidth` reports it next to decode's achieved weight bandwidth, whose
// ratio is the "% of the memory bound" in docs/benchmarks.md.
#pragma once

#include <cstddef>

namespace r1::cpu {

// GB/s (1e9 bytes), the median of `reps` passes over `bytes` (rounded to whole 2 MiB pages) with the current
// OpenMP thread count. The buffer is written once before timing.
double read_bandwidth_gbs(size_t bytes, int reps);

}  // namespace r1::cpu
