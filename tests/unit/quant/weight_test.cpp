#include "quant/weight.h"

#include <gtest/gtest.h>

#include <vector>

#include "core/dtype.h"

namespace r1 {
namespace {

// A 130 x 129 FP8 weight: blocks of 128 leave partial edge blocks of 2 rows and 1 column.
TEST(Fp8Weight, PartialEdgeBlocksDequantizeExactly) {
  const int64_t rows = 130, cols = 129;
  std::vector<uint8_t> q(size_t(rows * cols));
  for (size_t i = 0; i < q.size(); ++i) {
    uint8_t b = uint8_t((i * 37 + 11) % 256);
    if ((b & 0x7f) == 0x7f) b = 0x38;  // avoid NaN codes
    q[i] = b;
  }
  const std::vector<float> scale = {0.5f, 2.0f,     // block row 0: columns 0..127, column 128
                                    0.25f, 8.0f};   // block row 1: rows 128..129
  Weight w;
  w.dtype = DType::F8_E4M3;
  w.rows = rows;
  w.cols = cols;
  w.data = q.data();
  w.scale_inv = scale.data();
  std::vector<float> row(static_cast<size_t>(cols));
  for (int64_t r : {int64_t(0), int64_t(127), int64_t(128), int64_t(129)}) {
    w.dequant_row(r, row.data());
    for (int64_t c : {int64_t(0), int64_t(1), int64_t(127), int64_t(128)}) {
      const float s = scale[size_t((r / 128) * 2 + c / 128)];
      EXPECT_EQ(row[size_t(c)], fp8_e4m3_to_f32(q[size_t(r * cols + c)]) * s) << r << "," << c;
    }
  }
  EXPECT_EQ(w.nbytes(), rows * cols + 4 * 4);
}

TEST(Linear, MatchesPlainMatmulForEveryFormat) {
  const int64_t rows = 5, cols = 7, T = 3;
  std::vector<float> wf(size_t(rows * cols)), x(size_t(T * cols));
  for (size_t i = 0; i < wf.size(); ++i) wf[i] = float(int(i % 9) - 4) * 0.25f;  // exact in bf16, f16 and fp8
  for (size_t i = 0; i < x.size(); ++i) x[i] = float(int(i % 5) - 2);
  std::vector<uint16_t> wb(wf.size()), wh(wf.size());
  std::vector<uint8_t> w8(wf.size());
  for (size_t i = 0; i < wf.size(); ++i) {
    wb[i] = f32_to_bf16(wf[i]);
    wh[i] = f32_to_f16(wf[i]);
    w8[i] = f32_to_fp8_e4m3(wf[i] * 4.0f);  // stored 4x, scale_inv 0.25 brings it back
  }
  const float s = 0.25f;
  auto make = [&](DType t, const void* data, const float* scale) {
    Weight w;
    w.dtype = t;
    w.rows = rows;
    w.cols = cols;
    w.data = static_cast<const uint8_t*>(data);
    w.scale_inv = scale;
    return w;
  };
  const std::vector<Weight> ws = {make(DType::F32, wf.data(), nullptr), make(DType::BF16, wb.data(), nullptr),
                                  make(DType::F16, wh.data(), nullptr), make(DType::F8_E4M3, w8.data(), &s)};
  for (const Weight& w : ws) {
    std::vector<float> y(size_t(T * rows));
    linear(w, x.data(), T, y.data());
    for (int64_t t = 0; t < T; ++t)
      for (int64_t r = 0; r < rows; ++r) {
        float ref = 0.0f;
        for (int64_t c = 0; c < cols; ++c) ref += wf[size_t(r * cols + c)] * x[size_t(t * cols + c)];
        EXPECT_EQ(y[size_t(t * rows + r)], ref) << dtype_tag(w.dtype);  // small integers/4: exact in f32
      }
  }
}

}  // namespace
}  // namespace r1
