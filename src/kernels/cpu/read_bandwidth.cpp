#include "kernels/cpu/read_bandwidth.h"

#include <immintrin.h>
#include <omp.h>
#include <sys/mman.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <vector>

#include "core/error.h"

namespace r1::cpu {

double read_bandwidth_gbs(size_t bytes, int reps) {
  const size_t page = size_t(2) << 20;
  bytes = std::max(page, (bytes + page - 1) / page * page);
  void* m = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  require(m != MAP_FAILED, "bandwidth test: cannot allocate " + std::to_string(bytes >> 20) + " MiB");
  ::madvise(m, bytes, MADV_HUGEPAGE);
  std::memset(m, 1, bytes);
  const auto* p = static_cast<const float*>(m);
  const size_t n = bytes / sizeof(float);
  std::vector<double> gbs;
  float sink = 0.0f;
  for (int r = 0; r < std::max(1, reps) + 1; ++r) {  // the first pass is a warm-up
    const auto t0 = std::chrono::steady_clock::now();
    float total = 0.0f;
#pragma omp parallel reduction(+ : total)
    {
      const size_t nt = size_t(omp_get_num_threads()), id = size_t(omp_get_thread_num());
      const size_t b = n / nt * id / 32 * 32, e = id + 1 == nt ? n : n / nt * (id + 1) / 32 * 32;
      __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
      for (size_t i = b; i + 32 <= e; i += 32) {
        a0 = _mm256_add_ps(a0, _mm256_load_ps(p + i));
        a1 = _mm256_add_ps(a1, _mm256_load_ps(p + i + 8));
        a2 = _mm256_add_ps(a2, _mm256_load_ps(p + i + 16));
        a3 = _mm256_add_ps(a3, _mm256_load_ps(p + i + 24));
      }
      float l[8];
      _mm256_storeu_ps(l, _mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
      for (float v : l) total += v;
    }
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    sink += total;
    if (r > 0) gbs.push_back(double(bytes) / s / 1e9);
  }
  ::munmap(m, bytes);
  std::sort(gbs.begin(), gbs.end());
  return sink == 0.5f ? 0.0 : gbs[gbs.size() / 2];  // (sink keeps the sums alive; it is never 0.5)
}

}  // namespace r1::cpu
