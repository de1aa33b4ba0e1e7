// linear() on BF16 weights of the DeepSeek-V2-Lite shapes, GFLOP/s per (rows, cols, T): run it once as is and
// once with R1_NO_AVX512=1 to compare the AVX-512 BF16 kernels with the AVX2 dot kernels / dequantize + sgemm.
// Build (after the library): g++ -O2 -std=c++20 -fopenmp -Isrc bench/linear_bf16.cpp build/src/libr1.a -lopenblas \
//   -o build/linear_bf16
// Run: OMP_NUM_THREADS=1 build/linear_bf16 [ROWS COLS]   prints "rows cols T GFLOP/s" (best of 5 timed repeats)
//   for the V2-Lite shapes, or for the one shape given (e.g. 640 200: tiny-v3's lm head; 32000 1024).
#include <chrono>
#include <cstdlib>
#include <iterator>
#include <cstdio>
#include <vector>

#include "core/dtype.h"
#include "kernels/cpu/gemm_bf16.h"
#include "quant/weight.h"

int main(int argc, char** argv) {
  struct Shape { long rows, cols; const char* what; };
  const Shape shapes[] = {{3072, 2048, "wq"},         {576, 2048, "wkv_a"},      {4096, 512, "wkv_b"},
                          {2048, 2048, "wo"},         {1408, 2048, "expert w1"}, {2048, 1408, "expert w2"},
                          {10944, 2048, "dense w1"}, {2048, 10944, "dense w2"}};
  std::printf("# avx512_bf16_enabled %d\n", int(r1::cpu::avx512_bf16_enabled()));
  std::vector<Shape> list(std::begin(shapes), std::end(shapes));
  if (argc > 2) list = {{std::atol(argv[1]), std::atol(argv[2]), "given"}};
  for (const Shape& s : list) {
    std::vector<uint16_t> wb(size_t(s.rows * s.cols));
    for (size_t i = 0; i < wb.size(); ++i) wb[i] = r1::f32_to_bf16(float(int(i % 97) - 48) / 64.0f);
    r1::Weight w;
    w.dtype = r1::DType::BF16;
    w.rows = s.rows;
    w.cols = s.cols;
    w.data = reinterpret_cast<const uint8_t*>(wb.data());
    for (long T : {1L, 4L, 16L, 48L, 128L, 512L}) {
      std::vector<float> x(size_t(T * s.cols), 0.5f), y(size_t(T * s.rows));
      double best = 1e30;
      const int reps = T == 1 ? 50 : T < 48 ? 10 : 3;
      for (int rep = 0; rep < 6; ++rep) {
        const auto t0 = std::chrono::steady_clock::now();
        for (int i = 0; i < reps; ++i) r1::linear(w, x.data(), T, y.data());
        const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / reps;
        if (rep > 0 && dt < best) best = dt;  // first repeat warms up
      }
      std::printf("%-10s %6ld %6ld %4ld %8.1f GFLOP/s\n", s.what, s.rows, s.cols, T, 2.0 * s.rows * s.cols * T / best * 1e-9);
    }
  }
}
