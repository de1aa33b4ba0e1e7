#include "quant/weight.h"

#include <cblas.h>
#include <omp.h>

#include <algorithm>
#include <vector>

#include "core/error.h"
#include "io/safetensors.h"
#include "kernels/cpu/dot.h"
#include "kernels/ops.h"

namespace r1 {

void Weight::dequant_row(int64_t r, float* out) const {
  switch (dtype) {
    case DType::F32: {
      const float* p = reinterpret_cast<const float*>(data) + r * cols;
      for (int64_t j = 0; j < cols; ++j) out[j] = p[j];
      break;
    }
    case DType::BF16: {
      const uint16_t* p = reinterpret_cast<const uint16_t*>(data) + r * cols;
      for (int64_t j = 0; j < cols; ++j) out[j] = bf16_to_f32(p[j]);
      break;
    }
    case DType::F16: {
      const uint16_t* p = reinterpret_cast<const uint16_t*>(data) + r * cols;
      for (int64_t j = 0; j < cols; ++j) out[j] = f16_to_f32(p[j]);
      break;
    }
    case DType::F8_E4M3: {
      const uint8_t* p = data + r * cols;
      const float* lut = fp8_e4m3_table();
      const int64_t scols = (cols + block_in - 1) / block_in;
      const float* srow = scale_inv + (r / block_out) * scols;
      for (int64_t j = 0; j < cols; ++j) out[j] = lut[p[j]] * srow[j / block_in];
      break;
    }
    default:
      throw Error("weight '" + name + "': unsupported dtype " + dtype_tag(dtype));
  }
}

int64_t Weight::nbytes() const {
  int64_t n = rows * cols * int64_t(dtype_size(dtype));
  if (dtype == DType::F8_E4M3)
    n += ((rows + block_out - 1) / block_out) * ((cols + block_in - 1) / block_in) * 4;
  return n;
}

Weight load_weight(const Checkpoint& ck, const std::string& name, int64_t rows, int64_t cols, int64_t block_out,
                   int64_t block_in) {
  const TensorView& t = ck.get(name, {rows, cols});
  Weight w;
  w.name = name;
  w.dtype = t.dtype;
  w.rows = rows;
  w.cols = cols;
  w.data = t.data;
  w.block_out = block_out;
  w.block_in = block_in;
  switch (t.dtype) {
    case DType::F32: case DType::BF16: case DType::F16: break;
    case DType::F8_E4M3: {
      const std::string sname = name + "_scale_inv";
      require(ck.has(sname), *t.file + ": FP8 tensor '" + name + "' has no '" + sname + "'");
      const TensorView& s = ck.get(sname, {(rows + block_out - 1) / block_out, (cols + block_in - 1) / block_in});
      require(s.dtype == DType::F32, *s.file + ": tensor '" + sname + "' must be F32, is " + dtype_tag(s.dtype));
      w.scale_inv = reinterpret_cast<const float*>(s.data);
      break;
    }
    default:
      throw Error(*t.file + ": tensor '" + name + "' has dtype " + dtype_tag(t.dtype) +
                  "; a linear weight must be F32, BF16, F16 or F8_E4M3");
  }
  return w;
}

float Weight::dot_row(int64_t r, const float* x) const {
  switch (dtype) {
    case DType::F32: return cpu::dot_f32(reinterpret_cast<const float*>(data) + r * cols, x, cols);
    case DType::BF16: return cpu::dot_bf16(reinterpret_cast<const uint16_t*>(data) + r * cols, x, cols);
    case DType::F16: return cpu::dot_f16(reinterpret_cast<const uint16_t*>(data) + r * cols, x, cols);
    case DType::F8_E4M3: {
      const int64_t scols = (cols + block_in - 1) / block_in;
      return cpu::dot_fp8(data + r * cols, scale_inv + (r / block_out) * scols, block_in, x, cols);
    }
    default:
      throw Error("weight '" + name + "': unsupported dtype " + dtype_tag(dtype));
  }
}

void Weight::dot_row4(int64_t r, const float* const* x, int nx, float* out) const {
  switch (dtype) {
    case DType::F32: return cpu::dot4_f32(reinterpret_cast<const float*>(data) + r * cols, x, nx, cols, out);
    case DType::BF16: return cpu::dot4_bf16(reinterpret_cast<const uint16_t*>(data) + r * cols, x, nx, cols, out);
    case DType::F16: return cpu::dot4_f16(reinterpret_cast<const uint16_t*>(data) + r * cols, x, nx, cols, out);
    case DType::F8_E4M3: {
      const int64_t scols = (cols + block_in - 1) / block_in;
      return cpu::dot4_fp8(data + r * cols, scale_inv + (r / block_out) * scols, block_in, x, nx, cols, out);
    }
    default:
      throw Error("weight '" + name + "': unsupported dtype " + dtype_tag(dtype));
  }
}

namespace {

constexpr int64_t kGemmMinRows = 16;  // inputs from which dequantize + sgemm beats the 4-wide dot kernels
constexpr int64_t kGemmBlock = 64;    // weight rows dequantized per sgemm call

void ensure_single_threaded_blas() {
  static const bool once = [] {
    openblas_set_num_threads(1);  // parallelism comes from OpenMP over row blocks
    return true;
  }();
  (void)once;
}

}  // namespace

void linear_rows(const Weight& w, int64_t r0, int64_t r1, const float* x, int64_t T, float* y) {
  const int64_t n = r1 - r0;
  // Threads only pay off for enough work: a barrier costs microseconds, and far more when the other core is busy.
  const bool par = n * w.cols * std::max<int64_t>(T, 1) >= (int64_t(1) << 16);
  if (T < kGemmMinRows || w.dtype == DType::F32) {
    if (w.dtype == DType::F32 && T >= kGemmMinRows) {  // f32 weights: sgemm straight on the mapped rows
      ensure_single_threaded_blas();
      const float* W = reinterpret_cast<const float*>(w.data);
      const int64_t nb = (n + kGemmBlock - 1) / kGemmBlock;
#pragma omp parallel for schedule(static) if (par)
      for (int64_t b = 0; b < nb; ++b) {
        const int64_t rb = r0 + b * kGemmBlock, m = std::min(kGemmBlock, r1 - rb);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, int(T), int(m), int(w.cols), 1.0f, x, int(w.cols),
                    W + rb * w.cols, int(w.cols), 0.0f, y + (rb - r0), int(n));
      }
      return;
    }
    if (w.dtype == DType::BF16 && T > 1) {  // two rows x four inputs per step of the hot loop
      const uint16_t* W = reinterpret_cast<const uint16_t*>(w.data);
      const int64_t pairs = (n + 1) / 2;
#pragma omp parallel for schedule(static) if (par)
      for (int64_t p = 0; p < pairs; ++p) {
        const int64_t r = r0 + 2 * p;
        for (int64_t t0 = 0; t0 < T; t0 += 4) {
          const int nx = int(std::min<int64_t>(4, T - t0));
          const float* xs[4];
          float o0[4], o1[4];
          for (int k = 0; k < nx; ++k) xs[k] = x + (t0 + k) * w.cols;
          if (r + 1 < r1) {
            cpu::dot2x4_bf16(W + r * w.cols, W + (r + 1) * w.cols, xs, nx, w.cols, o0, o1);
            for (int k = 0; k < nx; ++k) y[(t0 + k) * n + (r + 1 - r0)] = o1[k];
          } else {
            w.dot_row4(r, xs, nx, o0);
          }
          for (int k = 0; k < nx; ++k) y[(t0 + k) * n + (r - r0)] = o0[k];
        }
      }
      return;
    }
#pragma omp parallel for schedule(static) if (par)
    for (int64_t r = r0; r < r1; ++r) {
      if (T == 1) {
        y[r - r0] = w.dot_row(r, x);
        continue;
      }
      for (int64_t t0 = 0; t0 < T; t0 += 4) {  // up to 4 inputs per load of the row
        const int nx = int(std::min<int64_t>(4, T - t0));
        const float* xs[4];
        float out[4];
        for (int k = 0; k < nx; ++k) xs[k] = x + (t0 + k) * w.cols;
        w.dot_row4(r, xs, nx, out);
        for (int k = 0; k < nx; ++k) y[(t0 + k) * n + (r - r0)] = out[k];
      }
    }
    return;
  }
  ensure_single_threaded_blas();
  const int64_t nb = (n + kGemmBlock - 1) / kGemmBlock;
#pragma omp parallel if (par)
  {
    std::vector<float> buf(static_cast<size_t>(kGemmBlock * w.cols));
#pragma omp for schedule(static)
    for (int64_t b = 0; b < nb; ++b) {
      const int64_t rb = r0 + b * kGemmBlock, m = std::min(kGemmBlock, r1 - rb);
      for (int64_t i = 0; i < m; ++i) w.dequant_row(rb + i, &buf[size_t(i * w.cols)]);
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, int(T), int(m), int(w.cols), 1.0f, x, int(w.cols),
                  buf.data(), int(w.cols), 0.0f, y + (rb - r0), int(n));
    }
  }
}

void linear(const Weight& w, const float* x, int64_t T, float* y) { linear_rows(w, 0, w.rows, x, T, y); }

}  // namespace r1
