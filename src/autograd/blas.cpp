#include "autograd/blas.h"

#include <cblas.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "autograd/prof.h"

namespace r1::ag {

namespace {
CBLAS_TRANSPOSE tr(bool t) { return t ? CblasTrans : CblasNoTrans; }

// Opt-in matmul accounting for benchmarks (R1_GEMM_STATS=1): FLOPs (2 M N K per call) and wall time of the
// sgemm calls, printed to stderr when the process exits. Off, it costs one branch on a cached flag.
struct GemmStats {
  const bool on = std::getenv("R1_GEMM_STATS") != nullptr && std::getenv("R1_GEMM_STATS")[0] == '1';
  std::atomic<long long> calls{0};
  std::atomic<double> flops{0}, seconds{0};
  ~GemmStats() {
    if (on && calls > 0)
      std::fprintf(stderr, "r1 gemm stats: %lld sgemm calls, %.3f GFLOP, %.3f s, %.2f GFLOP/s\n", calls.load(),
                   flops.load() * 1e-9, seconds.load(), flops.load() * 1e-9 / seconds.load());
  }
};
GemmStats g_stats;

void add(std::atomic<double>& a, double v) {
  double cur = a.load();
  while (!a.compare_exchange_weak(cur, cur + v)) {
  }
}
}  // namespace

void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
          const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  if (M == 0 || N == 0) return;
  const bool timed = g_stats.on || prof::enabled();
  const auto t0 = timed ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point();
  cblas_sgemm(CblasRowMajor, tr(trans_a), tr(trans_b), int(M), int(N), int(K), alpha, A, int(lda), B, int(ldb), beta,
              C, int(ldc));
  if (timed) {
    const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    prof::gemm_clock() += dt;
    ++g_stats.calls;
    add(g_stats.flops, 2.0 * double(M) * double(N) * double(K));
    add(g_stats.seconds, dt);
  }
}

void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, double alpha, const double* A, int64_t lda,
          const double* B, int64_t ldb, double beta, double* C, int64_t ldc) {
  if (M == 0 || N == 0) return;
  cblas_dgemm(CblasRowMajor, tr(trans_a), tr(trans_b), int(M), int(N), int(K), alpha, A, int(lda), B, int(ldb), beta,
              C, int(ldc));
}

}  // namespace r1::ag
