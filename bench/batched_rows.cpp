// Cost of one batched decode step, per row, as the server's engine runs it: B sequences with 100 tokens of
// context each decode one token together (Model::forward_rows). Each sequence has its own prompt and next
// token, so that the rows route to different experts as a server's do (identical rows would all pick the same
// experts and read a fraction of the weights). Prints microseconds per step and per row.
// Build (after the library): g++ -O2 -march=native -std=c++20 -fopenmp -Isrc bench/batched_rows.cpp
//   build/src/libr1.a -lopenblas -o build/batched_rows
// Run: OMP_NUM_THREADS=1 build/batched_rows MODEL_DIR B [STEPS]   (e.g. B = 1 and 16; STEPS timed steps, default
//   2000, fewer for large models; perf record it for the split)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <vector>

#include "model/transformer.h"
#include "runtime/kv_cache.h"

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: batched_rows MODEL_DIR B [STEPS]\n");
    return 2;
  }
  const r1::Model m(argv[1]);
  const int B = std::atoi(argv[2]);
  const r1::ModelConfig& c = m.config();
  std::vector<std::unique_ptr<r1::LatentKVCache>> caches;
  std::vector<float> logits(size_t(B) * size_t(c.vocab_size)), hidden(size_t(B) * size_t(c.dim));
  std::vector<int32_t> prompt(100);
  std::vector<r1::Model::Row> rows;
  for (int b = 0; b < B; ++b) {
    for (int i = 0; i < 100; ++i) prompt[size_t(i)] = int32_t(5 + (i * 7 + b * 13) % std::min<int64_t>(500, c.vocab_size - 5));
    caches.push_back(std::make_unique<r1::LatentKVCache>(c, 512));
    m.forward(prompt.data(), 100, 0, *caches.back(), logits.data());
    rows.push_back({int32_t(7 + b), 100, caches.back().get(), true});
  }
  const int reps = argc > 3 ? std::atoi(argv[3]) : 2000;
  for (int w = 0; w < std::min(50, reps); ++w) m.forward_rows(rows, logits.data(), hidden.data());
  const auto t0 = std::chrono::steady_clock::now();
  for (int r = 0; r < reps; ++r) m.forward_rows(rows, logits.data(), hidden.data());
  const double us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count() / reps;
  std::printf("B=%d: %.1f us/step, %.1f us/row\n", B, us, us / B);
  return 0;
}
