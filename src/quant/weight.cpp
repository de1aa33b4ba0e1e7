#include "quant/weight.h"

#include <omp.h>

#include <algorithm>
#include <vector>

#include "core/error.h"
#include "io/safetensors.h"
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

void linear_rows(const Weight& w, int64_t r0, int64_t r1, const float* x, int64_t T, float* y) {
  const int64_t n = r1 - r0;
  // Threads only pay off for enough work: a barrier costs microseconds, and far more when the other core is busy.
  const bool par = n * w.cols * std::max<int64_t>(T, 1) >= (int64_t(1) << 16);
#pragma omp parallel if (par)
  {
    std::vector<float> row(size_t(w.cols));
#pragma omp for schedule(static)
    for (int64_t r = r0; r < r1; ++r) {
      w.dequant_row(r, row.data());
      for (int64_t t = 0; t < T; ++t) y[t * n + (r - r0)] = ops::dot(row.data(), x + t * w.cols, w.cols);
    }
  }
}

void linear(const Weight& w, const float* x, int64_t T, float* y) { linear_rows(w, 0, w.rows, x, T, y); }

}  // namespace r1
