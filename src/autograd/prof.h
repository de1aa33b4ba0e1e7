// Opt-in wall-clock accounting of the training ops for profiling (R1_AG_PROF=1): a Scope adds its lifetime to a
// named total; the totals (inclusive, so nested scopes overlap their parents) are printed to stderr, largest
// first, when the process exits. Disabled, a Scope costs one branch on a flag read once.
#pragma once

#include <chrono>

namespace r1::ag::prof {

bool enabled();
// Adds a scope's wall time and the part of it spent in sgemm (gemm_seconds, from gemm_clock()).
void add(const char* name, double seconds, double gemm_seconds);
// sgemm seconds so far on this thread (autograd/blas.cpp adds to it while profiling).
double& gemm_clock();

class Scope {
 public:
  explicit Scope(const char* name) : name_(enabled() ? name : nullptr) {
    if (name_) t0_ = std::chrono::steady_clock::now(), g0_ = gemm_clock();
  }
  ~Scope() {
    if (name_)
      add(name_, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count(), gemm_clock() - g0_);
  }
  Scope(const Scope&) = delete;
  Scope& operator=(const Scope&) = delete;

 private:
  const char* name_;
  std::chrono::steady_clock::time_point t0_;
  double g0_ = 0;
};

}  // namespace r1::ag::prof
