// The number of compute (OpenMP) threads a command asked for. OpenMP keeps that setting per thread: a thread
// started later (the server's engine worker, the HTTP handlers) gets the process default again, so threads
// that run model code call use_compute_threads() first.
#pragma once

#include <omp.h>

#include <atomic>

namespace r1 {

inline std::atomic<int>& compute_threads_setting() {
  static std::atomic<int> n{0};
  return n;
}

// n > 0: this thread and every thread that calls use_compute_threads() run n OpenMP threads; 0: the default.
inline void set_compute_threads(int n) {
  compute_threads_setting() = n;
  if (n > 0) omp_set_num_threads(n);
}

inline void use_compute_threads() {
  if (const int n = compute_threads_setting(); n > 0) omp_set_num_threads(n);
}

}  // namespace r1
