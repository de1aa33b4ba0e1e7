// q8 / q4 kernels (kernels/cpu/dot_quant.h) against their scalar twins (kernels/ref/quant_ref.h), and the
// quantized linear() paths against the exact product with the dequantized weight. Tolerances come from the
// arithmetic: integer block sums are exact, so fast and reference differ only by f32 rounding of the per-block
// scale products and of the reordered sum, |fast - ref| <= 2 (nb + 4) u sum_b |d_w d_x| sum_i |q_w q_x|, u = 2^-24;
// against the exact product the int8 activations add at most sum_b (d_x / 2) sum_i |w_i| per row.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "core/dtype.h"
#include "core/rng.h"
#include "kernels/cpu/dot_quant.h"
#include "kernels/cpu/gemm_bf16.h"
#include "kernels/ref/quant_ref.h"
#include "quant/quantize.h"
#include "quant/weight.h"
#include "testutil.h"

namespace r1 {
namespace {

const double kU = std::ldexp(1.0, -24);
// Widths whose q4 rows end in every kind of group (kernels/qblocks.h): 1, 2, 4, 7 blocks (one short group), 32
// (whole groups), 11 and 13 (a pair-only or odd short group after a whole one), 17 (a one-block group).
const std::vector<int64_t> kWidths = {1, 7, 31, 32, 33, 64, 100, 200, 1000, 350, 416, 520};

std::vector<float> random_vec(Rng& rng, int64_t n, float a) {
  std::vector<float> v(static_cast<size_t>(n));
  for (auto& x : v) x = rng.symmetric(a);
  return v;
}

std::vector<BlockQ8X> quant_x(const std::vector<float>& x) {
  std::vector<BlockQ8X> q(static_cast<size_t>(qblocks_per_row(int64_t(x.size()))));
  ref::quantize_x(x.data(), int64_t(x.size()), q.data());
  return q;
}

TEST(QuantizeX, FastIsBitExactWithReferenceAndWithinHalfAStep) {
  Rng rng(3);
  for (int64_t n : kWidths) {
    std::vector<float> x = random_vec(rng, n, 3.0f);
    if (n > 40) x[5] = 0.0f, x[17] = -3.0f;  // exact zeros and a value at the block maximum
    std::vector<BlockQ8X> a(size_t(qblocks_per_row(n))), b(a.size());
    ref::quantize_x(x.data(), n, a.data());
    cpu::quantize_x(x.data(), n, b.data());
    for (size_t k = 0; k < a.size(); ++k) {
      EXPECT_EQ(a[k].d, b[k].d) << n;
      for (int i = 0; i < kQBlock; ++i) EXPECT_EQ(a[k].q[i], b[k].q[i]) << n << " block " << k << " i " << i;
      for (int l = 0; l < 8; ++l) EXPECT_EQ(a[k].neg8sum[l], b[k].neg8sum[l]);
      for (int i = 0; i < kQBlock; ++i) {
        const int64_t j = int64_t(k) * kQBlock + i;
        const float v = j < n ? x[size_t(j)] : 0.0f;
        // x * (127 / amax) is rounded before round-to-nearest: half a step plus 128 ulps of the quotient.
        EXPECT_LE(std::fabs(v - a[k].d * a[k].q[i]), a[k].d * (0.5 + 256 * kU)) << n << " " << j;
      }
    }
  }
  std::vector<float> zeros(40, 0.0f);
  std::vector<BlockQ8X> z(2);
  cpu::quantize_x(zeros.data(), 40, z.data());
  EXPECT_EQ(z[0].d, 0.0f);
  for (int i = 0; i < kQBlock; ++i) EXPECT_EQ(z[1].q[i], 0);
}

// sum_b |d_w d_x| sum_i |q_w q_x| for a row given as value(b, i) and scale(b).
template <typename Value, typename Scale>
double block_mag(const BlockQ8X* x, int64_t nb, Value value, Scale scale) {
  double mag = 0.0;
  for (int64_t b = 0; b < nb; ++b) {
    double s = 0.0;
    for (int i = 0; i < kQBlock; ++i) s += std::fabs(double(value(b, i)) * x[b].q[i]);
    mag += std::fabs(double(scale(b)) * x[b].d) * s;
  }
  return mag;
}
double mag_q8(const BlockQ8* w, const BlockQ8X* x, int64_t nb) {
  return block_mag(x, nb, [w](int64_t b, int i) { return w[b].q[i]; }, [w](int64_t b) { return f16_to_f32(w[b].d); });
}
double mag_q4(const uint8_t* w, const BlockQ8X* x, int64_t nb) {
  return block_mag(x, nb, [=](int64_t b, int i) { return ref::q4_value(w, nb, b, i); },
                   [=](int64_t b) { return ref::q4_scale(w, nb, b); });
}

struct QRow {  // one weight row in both formats
  std::vector<BlockQ8> q8;
  std::vector<uint8_t> q4;
  explicit QRow(const std::vector<float>& w)
      : q8(size_t(qblocks_per_row(int64_t(w.size())))), q4(size_t(quant_row_bytes(DType::Q4, int64_t(w.size())))) {
    quantize_row_q8(w.data(), int64_t(w.size()), q8.data());
    quantize_row_q4(w.data(), int64_t(w.size()), q4.data());
  }
};

TEST(QuantDot, FastAndAvx2MatchReferenceWithinRoundingBound) {
  Rng rng(11);
  for (int64_t n : kWidths) {
    const int64_t nb = qblocks_per_row(n);
    for (int rep = 0; rep < 3; ++rep) {
      const QRow w(random_vec(rng, n, 0.1f));
      const std::vector<BlockQ8X> x = quant_x(random_vec(rng, n, 2.0f));
      const double b8 = 2.0 * double(nb + 4) * kU * mag_q8(w.q8.data(), x.data(), nb);
      const double b4 = 2.0 * double(nb + 4) * kU * mag_q4(w.q4.data(), x.data(), nb);
      const float r8 = ref::dot_q8(w.q8.data(), x.data(), nb), r4 = ref::dot_q4(w.q4.data(), x.data(), nb);
      EXPECT_NEAR(cpu::dot_q8(w.q8.data(), x.data(), nb), r8, b8) << n;
      EXPECT_NEAR(cpu::dot_q8_avx2(w.q8.data(), x.data(), nb), r8, b8) << n;
      EXPECT_NEAR(cpu::dot_q4(w.q4.data(), x.data(), nb), r4, b4) << n;
      EXPECT_NEAR(cpu::dot_q4_avx2(w.q4.data(), x.data(), nb), r4, b4) << n;
    }
  }
}

TEST(QuantDot, ExtremeCodesDoNotSaturate) {
  // Weights at +-127 (q8) and -8 / +7 (q4) against activations at +-127, with products of one sign so nothing
  // cancels: the AVX2 int16 pair sums must not saturate (2 * 127 * 127 < 32768), so every kernel lands within
  // the rounding bound of the exact (double) value.
  std::vector<float> w(64), xs(64);
  for (int i = 0; i < 64; ++i) {
    w[size_t(i)] = (i % 2 == 0) ? -1.0f : 0.875f;  // q4: -1 -> -8, 0.875 -> 7 at d = 1/8
    xs[size_t(i)] = (i % 2 == 0) ? -1.0f : 1.0f;
  }
  const QRow q(w);
  const std::vector<BlockQ8X> x = quant_x(xs);
  for (int b = 0; b < 2; ++b)
    for (int i = 0; i < kQBlock; ++i) {
      ASSERT_EQ(q.q8[size_t(b)].q[i], i % 2 == 0 ? -127 : 111);  // round(0.875 * 127) = 111
      ASSERT_EQ(ref::q4_value(q.q4.data(), 2, b, i), i % 2 == 0 ? -8 : 7);
      ASSERT_EQ(std::abs(x[size_t(b)].q[i]), 127);
    }
  auto exact = [&](auto value, auto scale) {
    double s = 0.0;
    for (int b = 0; b < 2; ++b) {
      double acc = 0.0;
      for (int i = 0; i < kQBlock; ++i) acc += double(value(b, i)) * x[size_t(b)].q[i];
      s += double(scale(b)) * x[size_t(b)].d * acc;
    }
    return s;
  };
  const double e8 = exact([&](int b, int i) { return q.q8[size_t(b)].q[i]; }, [&](int b) { return f16_to_f32(q.q8[size_t(b)].d); });
  const double e4 = exact([&](int b, int i) { return ref::q4_value(q.q4.data(), 2, b, i); },
                          [&](int b) { return ref::q4_scale(q.q4.data(), 2, b); });
  ASSERT_GT(std::fabs(e8), 50.0);  // ~ 64 products of magnitude ~1, one sign
  const double b8 = 2.0 * 6 * kU * std::fabs(e8), b4 = 2.0 * 6 * kU * std::fabs(e4);
  EXPECT_NEAR(cpu::dot_q8(q.q8.data(), x.data(), 2), e8, b8);
  EXPECT_NEAR(cpu::dot_q8_avx2(q.q8.data(), x.data(), 2), e8, b8);
  EXPECT_NEAR(cpu::dot_q4(q.q4.data(), x.data(), 2), e4, b4);
  EXPECT_NEAR(cpu::dot_q4_avx2(q.q4.data(), x.data(), 2), e4, b4);
}

TEST(QuantDot, FourVectorKernelsMatchReference) {
  Rng rng(23);
  for (int64_t n : kWidths) {
    const int64_t nb = qblocks_per_row(n);
    const QRow w(random_vec(rng, n, 0.1f));
    std::vector<std::vector<BlockQ8X>> xq;
    for (int k = 0; k < 4; ++k) xq.push_back(quant_x(random_vec(rng, n, 1.0f)));
    const BlockQ8X* xs[4] = {xq[0].data(), xq[1].data(), xq[2].data(), xq[3].data()};
    for (int nx = 1; nx <= 4; ++nx) {
      float o8[4], o4[4], a8[4], a4[4];
      cpu::dot4_q8(w.q8.data(), xs, nx, nb, o8);
      cpu::dot4_q4(w.q4.data(), xs, nx, nb, o4);
      cpu::dot4_q8_avx2(w.q8.data(), xs, nx, nb, a8);
      cpu::dot4_q4_avx2(w.q4.data(), xs, nx, nb, a4);
      for (int k = 0; k < nx; ++k) {
        // Each input's sum does not depend on how many inputs share the call (batch invariance), in both builds.
        EXPECT_EQ(o8[k], cpu::dot_q8(w.q8.data(), xs[k], nb)) << n << " nx " << nx;
        EXPECT_EQ(o4[k], cpu::dot_q4(w.q4.data(), xs[k], nb)) << n << " nx " << nx;
        EXPECT_EQ(a8[k], cpu::dot_q8_avx2(w.q8.data(), xs[k], nb)) << n << " nx " << nx;
        EXPECT_EQ(a4[k], cpu::dot_q4_avx2(w.q4.data(), xs[k], nb)) << n << " nx " << nx;
        const double b8 = 2.0 * double(nb + 4) * kU * mag_q8(w.q8.data(), xs[k], nb);
        const double b4 = 2.0 * double(nb + 4) * kU * mag_q4(w.q4.data(), xs[k], nb);
        EXPECT_NEAR(o8[k], ref::dot_q8(w.q8.data(), xs[k], nb), b8) << n << " nx " << nx;
        EXPECT_NEAR(a8[k], ref::dot_q8(w.q8.data(), xs[k], nb), b8) << n << " nx " << nx;
        EXPECT_NEAR(o4[k], ref::dot_q4(w.q4.data(), xs[k], nb), b4) << n << " nx " << nx;
        EXPECT_NEAR(a4[k], ref::dot_q4(w.q4.data(), xs[k], nb), b4) << n << " nx " << nx;
      }
    }
  }
}

TEST(QuantRows, Avx2RowKernelsMatchReferenceAndGiveEachPairItsOneAtATimeNumbers) {
  // rows_q8_avx2 / rows_q4_avx2 sum 8 blocks in integers before scaling (rows_quant_avx2.cpp): every row and
  // input within the rounding bound of the twin, and each (row, input) sum bit for bit the same whether the
  // call has 1-4 inputs and one or several rows. The widths end in every kind of short group.
  Rng rng(41);
  const int64_t rows = 5;
  for (int64_t n : kWidths) {
    const int64_t nb = qblocks_per_row(n);
    std::vector<QRow> w;
    for (int64_t r = 0; r < rows; ++r) w.emplace_back(random_vec(rng, n, 0.1f));
    std::vector<std::vector<BlockQ8X>> xq;
    for (int k = 0; k < 4; ++k) xq.push_back(quant_x(random_vec(rng, n, 1.0f)));
    const BlockQ8X* xs[4] = {xq[0].data(), xq[1].data(), xq[2].data(), xq[3].data()};
    const cpu::QXPacked packed(xs, 4, nb);
    for (DType type : {DType::Q8, DType::Q4}) {
      const int64_t rb = quant_row_bytes(type, n);
      std::vector<uint8_t> mat(size_t(rows * rb));
      for (int64_t r = 0; r < rows; ++r)
        std::memcpy(&mat[size_t(r * rb)], type == DType::Q8 ? static_cast<const void*>(w[size_t(r)].q8.data()) : w[size_t(r)].q4.data(), size_t(rb));
      const auto kernel = type == DType::Q8 ? cpu::rows_q8_avx2 : cpu::rows_q4_avx2;
      std::vector<float> alone(size_t(4 * rows));  // one row and one input per call
      for (int64_t r = 0; r < rows; ++r)
        for (int k = 0; k < 4; ++k) kernel(&mat[size_t(r * rb)], rb, 1, &packed.views[size_t(k)], 1, nb, &alone[size_t(k * rows + r)], 1);
      for (int k = 0; k < 4; ++k)
        for (int64_t r = 0; r < rows; ++r) {
          const uint8_t* wr = &mat[size_t(r * rb)];
          const double ref = type == DType::Q8 ? ref::dot_q8(reinterpret_cast<const BlockQ8*>(wr), xs[k], nb) : ref::dot_q4(wr, xs[k], nb);
          const double mag = type == DType::Q8 ? mag_q8(reinterpret_cast<const BlockQ8*>(wr), xs[k], nb) : mag_q4(wr, xs[k], nb);
          EXPECT_NEAR(alone[size_t(k * rows + r)], ref, 2.0 * double(nb + 4) * kU * mag) << dtype_tag(type) << " " << n;
        }
      for (int nx = 1; nx <= 4; ++nx) {
        std::vector<float> y(size_t(nx * rows), -1.0f);
        kernel(mat.data(), rb, rows, packed.views.data(), nx, nb, y.data(), rows);
        for (int k = 0; k < nx; ++k)
          for (int64_t r = 0; r < rows; ++r)
            EXPECT_EQ(y[size_t(k * rows + r)], alone[size_t(k * rows + r)]) << dtype_tag(type) << " " << n << " nx " << nx;
      }
    }
  }
}

TEST(QuantDequant, FastIsBitExactWithReference) {
  Rng rng(29);
  for (int64_t n : kWidths) {
    const QRow w(random_vec(rng, n, 0.5f));
    std::vector<float> a(static_cast<size_t>(n)), b(a.size());
    ref::dequant_q8(w.q8.data(), n, a.data());
    cpu::dequant_q8(w.q8.data(), n, b.data());
    EXPECT_EQ(a, b) << "q8 " << n;
    ref::dequant_q4(w.q4.data(), n, a.data());
    cpu::dequant_q4(w.q4.data(), n, b.data());
    EXPECT_EQ(a, b) << "q4 " << n;
  }
}

class QuantLinear : public ::testing::TestWithParam<DType> {};

// A (rows, cols) weight of U(-0.07, 0.07) values quantized to `type` (the weight owns its blocks).
Weight random_quantized(Rng& rng, int64_t rows, int64_t cols, DType type) {
  const std::vector<float> wf = random_vec(rng, rows * cols, 0.07f);
  Weight src;
  src.dtype = DType::F32;
  src.rows = rows;
  src.cols = cols;
  src.data = reinterpret_cast<const uint8_t*>(wf.data());
  src.name = "test.weight";
  return quantize_weight(src, type);
}

TEST_P(QuantLinear, BatchedDecodeGivesEachInputItsOneAtATimeNumbers) {
  // Batch invariance, as for the float formats (kernels_test.cpp): up to 15 inputs, bit for bit.
  Rng rng(37);
  const int64_t rows = 21, cols = 200;
  const Weight w = random_quantized(rng, rows, cols, GetParam());
  test::expect_batch_invariant(w, rng, 1.5f, dtype_tag(GetParam()));
}

// linear() on a quantized weight: decode (T < 16 under LinearPass::Auto, every T in a decode pass: int8
// activations) and prefill (T >= 16 under Auto, every T in a prompt pass: dequantize + sgemm, or int8 activations
// for q4 on AVX2 without VNNI: linear_quantizes_inputs) against the exact product of the dequantized weight
// with x.
TEST_P(QuantLinear, DecodeAndPrefillPathsMatchTheDequantizedProduct) {
  Rng rng(31);
  const int64_t rows = 70, cols = 200;
  const Weight w = random_quantized(rng, rows, cols, GetParam());
  ASSERT_EQ(w.dtype, GetParam());
  ASSERT_EQ(w.nbytes(), rows * quant_row_bytes(GetParam(), cols));
  std::vector<float> row(static_cast<size_t>(cols));
  // Prompts off the int8 path on an AVX512-BF16 CPU multiply weight blocks dequantized and rounded to bf16 with
  // bf16-rounded inputs (quant/weight.h): the definition is then taken on those operands.
  const auto round_bf16 = [](std::vector<float>& v) {
    for (auto& e : v) e = bf16_to_f32(f32_to_bf16(e));
  };
  const bool q4_rows = GetParam() == DType::Q4 && !cpu::has_vnni() && !cpu::avx512_vnni_enabled();
  for (const LinearPass pass : {LinearPass::Auto, LinearPass::Prompt, LinearPass::Decode})
  for (int64_t T : {1, 2, 4, 5, 9, 16, 20}) {
    const bool int8 = linear_quantizes_inputs(w, T, pass);
    ASSERT_EQ(int8, pass == LinearPass::Decode || q4_rows || (pass == LinearPass::Auto && T < 16));
    const bool bf16 = !int8 && cpu::avx512_bf16_enabled();
    const std::vector<float> x = random_vec(rng, T * cols, 1.5f);
    std::vector<float> y(size_t(T * rows));
    linear(w, x.data(), T, y.data(), pass);
    for (int64_t t = 0; t < T; ++t) {
      std::vector<float> xt(x.begin() + t * cols, x.begin() + (t + 1) * cols);
      const std::vector<BlockQ8X> xq = quant_x(xt);
      if (bf16) round_bf16(xt);
      for (int64_t r = 0; r < rows; ++r) {
        w.dequant_row(r, row.data());
        if (bf16) round_bf16(row);
        double exact = 0.0, mag = 0.0, act = 0.0;
        for (int64_t i = 0; i < cols; ++i) {
          exact += double(row[size_t(i)]) * xt[size_t(i)];
          mag += std::fabs(double(row[size_t(i)]) * xt[size_t(i)]);
          act += std::fabs(double(row[size_t(i)])) * xq[size_t(i / kQBlock)].d * (0.5 + 256 * kU);
        }
        // f32 rounding of the products and sums (as for f32 weights), plus the int8 activations on decode.
        const double bound = 2.0 * double(cols + 1) * kU * mag * 1.01 + (int8 ? act * 1.01 : 0.0);
        EXPECT_NEAR(y[size_t(t * rows + r)], exact, bound)
            << dtype_tag(GetParam()) << " pass " << int(pass) << " T " << T << " row " << r;
      }
    }
  }
  // dot_row / dot_row4 (which quantize x themselves) agree with linear's decode path.
  const std::vector<float> x = random_vec(rng, 4 * cols, 1.0f);
  std::vector<float> y(size_t(4 * rows));
  linear(w, x.data(), 4, y.data());
  const float* xs[4] = {x.data(), x.data() + cols, x.data() + 2 * cols, x.data() + 3 * cols};
  for (int64_t r = 0; r < rows; r += 13) {
    float out[4];
    w.dot_row4(r, xs, 4, out);
    for (int k = 0; k < 4; ++k) EXPECT_EQ(out[k], y[size_t(k * rows + r)]);  // the same 4-vector kernel
    // dot_row runs the one-vector kernel (another summation order): equal within the rounding bound.
    const std::vector<BlockQ8X> xq = quant_x(std::vector<float>(xs[2], xs[2] + cols));
    const uint8_t* wr = w.data + r * quant_row_bytes(w.dtype, cols);
    const int64_t nb = qblocks_per_row(cols);
    const double mag = w.dtype == DType::Q8 ? mag_q8(reinterpret_cast<const BlockQ8*>(wr), xq.data(), nb)
                                            : mag_q4(wr, xq.data(), nb);
    EXPECT_NEAR(w.dot_row(r, xs[2]), y[size_t(2 * rows + r)], 4.0 * double(nb + 4) * kU * mag);
  }
}

INSTANTIATE_TEST_SUITE_P(Formats, QuantLinear, ::testing::Values(DType::Q8, DType::Q4),
                         [](const auto& info) { return std::string(dtype_tag(info.param)); });

TEST(QuantKernels, ReportsTheCompiledVariant) {
#if (defined(__AVX512VNNI__) && defined(__AVX512VL__)) || defined(__AVXVNNI__)
  EXPECT_TRUE(cpu::has_vnni());
#else
  EXPECT_FALSE(cpu::has_vnni());
#endif
}

}  // namespace
}  // namespace r1
