// fp32 FMA peak of this machine: each thread runs 12 independent chains of FMAs (enough to cover the FMA
// latency on two pipes) held in registers, so the loop is bound by FMA throughput alone. Measures AVX2
// (8 lanes) and, when the CPU has it, AVX-512 (16 lanes; some cores split these into two 256-bit halves).
// Build: g++ -O3 -mavx2 -mfma -mavx512f -fopenmp bench/fma_peak.cpp -o fma_peak  (-O3 keeps the chains in
// registers; at -O2 GCC leaves the array in memory and measures store forwarding instead)
// Run: ./fma_peak THREADS   prints "avx2 GFLOP/s avx512 GFLOP/s" (2 FLOPs per lane per FMA; best of 5 runs;
// avx512 is 0 when the CPU lacks it).
#include <immintrin.h>
#include <omp.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>

template <class V, V (*Set1)(float), V (*Fma)(V, V, V), V (*Add)(V, V), int Lanes>
__attribute__((noinline)) double peak(int threads, float* sink) {
  const long iters = 20'000'000;
  double best = 0;
  for (int rep = 0; rep < 5; ++rep) {
    const auto t0 = std::chrono::steady_clock::now();
    float total = 0;
#pragma omp parallel num_threads(threads) reduction(+ : total)
    {
      V a0 = Set1(1e-3f), a1 = Set1(2e-3f), a2 = Set1(3e-3f), a3 = Set1(4e-3f), a4 = Set1(5e-3f), a5 = Set1(6e-3f);
      V a6 = Set1(7e-3f), a7 = Set1(8e-3f), a8 = Set1(9e-3f), a9 = Set1(1e-2f), a10 = Set1(2e-2f), a11 = Set1(3e-2f);
      const V m = Set1(0.999999f), b = Set1(1e-7f);
      for (long i = 0; i < iters; ++i) {
        a0 = Fma(a0, m, b), a1 = Fma(a1, m, b), a2 = Fma(a2, m, b), a3 = Fma(a3, m, b);
        a4 = Fma(a4, m, b), a5 = Fma(a5, m, b), a6 = Fma(a6, m, b), a7 = Fma(a7, m, b);
        a8 = Fma(a8, m, b), a9 = Fma(a9, m, b), a10 = Fma(a10, m, b), a11 = Fma(a11, m, b);
      }
      V s = Add(Add(Add(a0, a1), Add(a2, a3)), Add(Add(a4, a5), Add(a6, a7)));
      s = Add(s, Add(Add(a8, a9), Add(a10, a11)));
      float out[Lanes];
      std::memcpy(out, &s, sizeof out);
      total += out[0];
    }
    *sink += total;
    const double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double gflops = double(threads) * double(iters) * 12 * Lanes * 2 / t * 1e-9;
    if (gflops > best) best = gflops;
  }
  return best;
}

__m256 set8(float x) { return _mm256_set1_ps(x); }
__m256 fma8(__m256 a, __m256 b, __m256 c) { return _mm256_fmadd_ps(a, b, c); }
__m256 add8(__m256 a, __m256 b) { return _mm256_add_ps(a, b); }
__m512 set16(float x) { return _mm512_set1_ps(x); }
__m512 fma16(__m512 a, __m512 b, __m512 c) { return _mm512_fmadd_ps(a, b, c); }
__m512 add16(__m512 a, __m512 b) { return _mm512_add_ps(a, b); }

int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::atoi(argv[1]) : 1;
  float sink = 0;
  const double p8 = peak<__m256, set8, fma8, add8, 8>(threads, &sink);
  const double p16 = __builtin_cpu_supports("avx512f") ? peak<__m512, set16, fma16, add16, 16>(threads, &sink) : 0.0;
  std::printf("%.1f %.1f\n", p8, p16);
  return sink == 12345.0f ? 1 : 0;
}
