// One-input linear() (decode) over many expert-shaped weights far larger than the caches, per weight format:
// the weight GB/s it reaches next to the machine's read bandwidth (kernels/cpu/read_bandwidth.h). This is the
// kernel-level view of the "% of the memory bound" that `r1 bench --bandwidth` reports for a whole model.
// Build (after the library): g++ -O2 -march=native -std=c++20 -fopenmp -Isrc bench/decode_matvec.cpp \
//   build/src/libr1.a -lopenblas -o build/decode_matvec
// Run: OMP_NUM_THREADS=1 build/decode_matvec [GiB=1]   prints "format GB/s % of read bandwidth" (median of 7).
#include <sys/mman.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "core/dtype.h"
#include "kernels/cpu/read_bandwidth.h"
#include "quant/quantize.h"
#include "quant/weight.h"

namespace {

void* huge_alloc(size_t bytes) {
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) { std::perror("mmap"); std::exit(1); }
  madvise(p, bytes, MADV_HUGEPAGE);
  return p;
}

}  // namespace

int main(int argc, char** argv) {
  const double gib = argc > 1 ? std::atof(argv[1]) : 1.0;
  const long rows = 1408, cols = 2048;  // a V2-Lite routed expert's gate projection
  const double bw = r1::cpu::read_bandwidth_gbs(size_t(1) << 30, 5);
  std::printf("# read bandwidth %.1f GB/s\n", bw);
  std::vector<float> src(size_t(rows * cols));
  for (size_t i = 0; i < src.size(); ++i) src[i] = float(int((i * 2654435761u) % 1001) - 500) / 500.0f;
  std::vector<float> x(static_cast<size_t>(cols)), y(static_cast<size_t>(rows));
  for (long j = 0; j < cols; ++j) x[size_t(j)] = float((j * 7) % 13 - 6) / 6.0f;
  for (r1::DType t : {r1::DType::BF16, r1::DType::Q8, r1::DType::Q4}) {
    const size_t one = r1::is_block_quant(t) ? size_t(rows * r1::quant_row_bytes(t, cols)) : size_t(rows * cols * 2);
    const size_t count = std::max<size_t>(1, size_t(gib * double(1ull << 30)) / one);
    uint8_t* base = static_cast<uint8_t*>(huge_alloc(count * one));
    r1::Weight proto;
    if (t == r1::DType::BF16) {
      std::vector<uint16_t> b(src.size());
      for (size_t i = 0; i < src.size(); ++i) b[i] = r1::f32_to_bf16(src[i]);
      std::memcpy(base, b.data(), one);
    } else {
      r1::Weight f;
      f.dtype = r1::DType::F32;
      f.rows = rows;
      f.cols = cols;
      f.data = reinterpret_cast<const uint8_t*>(src.data());
      proto = r1::quantize_weight(f, t);
      std::memcpy(base, proto.data, one);
    }
    for (size_t k = 1; k < count; ++k) std::memcpy(base + k * one, base, one);
    std::vector<r1::Weight> ws(count);
    for (size_t k = 0; k < count; ++k) {
      ws[k].dtype = t;
      ws[k].rows = rows;
      ws[k].cols = cols;
      ws[k].data = base + k * one;
    }
    std::vector<double> gbs;
    for (int rep = 0; rep < 8; ++rep) {
      const auto t0 = std::chrono::steady_clock::now();
      for (const r1::Weight& w : ws) r1::linear(w, x.data(), 1, y.data());
      const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      if (rep > 0) gbs.push_back(double(count * one) / dt * 1e-9);
    }
    std::sort(gbs.begin(), gbs.end());
    const double med = gbs[gbs.size() / 2];
    std::printf("%-5s %7.1f GB/s %5.1f %% of read bandwidth (%zu weights of %ldx%ld, %.2f GB)\n", r1::dtype_tag(t), med,
                100.0 * med / bw, count, rows, cols, double(count * one) * 1e-9);
    munmap(base, count * one);
  }
}
