#include "core/dtype.h"

#include <gtest/gtest.h>

#include <cmath>

namespace r1 {
namespace {

TEST(Fp8E4M3, DecodesHandPickedCodes) {
  EXPECT_EQ(fp8_e4m3_to_f32(0x00), 0.0f);
  EXPECT_TRUE(std::signbit(fp8_e4m3_to_f32(0x80)));
  EXPECT_EQ(fp8_e4m3_to_f32(0x01), std::ldexp(1.0f, -9));       // smallest subnormal: 1/8 * 2^-6
  EXPECT_EQ(fp8_e4m3_to_f32(0x07), 7.0f * std::ldexp(1.0f, -9)); // largest subnormal
  EXPECT_EQ(fp8_e4m3_to_f32(0x08), std::ldexp(1.0f, -6));       // smallest normal
  EXPECT_EQ(fp8_e4m3_to_f32(0x38), 1.0f);                       // exponent 7 = bias
  EXPECT_EQ(fp8_e4m3_to_f32(0x3c), 1.5f);
  EXPECT_EQ(fp8_e4m3_to_f32(0xc4), -3.0f);
  EXPECT_EQ(fp8_e4m3_to_f32(0x7e), 448.0f);                     // largest finite
  EXPECT_TRUE(std::isnan(fp8_e4m3_to_f32(0x7f)));
  EXPECT_TRUE(std::isnan(fp8_e4m3_to_f32(0xff)));
  EXPECT_EQ(fp8_e4m3_to_f32(0x78), 256.0f);                     // exponent 15 is finite except m=7
}

TEST(Fp8E4M3, EveryFiniteCodeRoundTrips) {
  for (int b = 0; b < 256; ++b) {
    if ((b & 0x7f) == 0x7f) continue;
    const float v = fp8_e4m3_to_f32(uint8_t(b));
    EXPECT_EQ(f32_to_fp8_e4m3(v), b == 0x80 ? 0x80 : b) << b;
    EXPECT_EQ(fp8_e4m3_table()[b], v);
  }
}

TEST(Fp8E4M3, RoundsToNearestEvenAndSaturates) {
  EXPECT_EQ(fp8_e4m3_to_f32(f32_to_fp8_e4m3(1.0625f)), 1.0f);    // halfway 1 and 1.125 -> even (1.0)
  EXPECT_EQ(fp8_e4m3_to_f32(f32_to_fp8_e4m3(1.1875f)), 1.25f);   // halfway 1.125 and 1.25 -> even (1.25)
  EXPECT_EQ(fp8_e4m3_to_f32(f32_to_fp8_e4m3(1.07f)), 1.125f);
  EXPECT_EQ(fp8_e4m3_to_f32(f32_to_fp8_e4m3(1000.0f)), 448.0f);
  EXPECT_EQ(fp8_e4m3_to_f32(f32_to_fp8_e4m3(-1000.0f)), -448.0f);
  EXPECT_EQ(fp8_e4m3_to_f32(f32_to_fp8_e4m3(std::ldexp(1.0f, -11))), 0.0f);  // below half the least subnormal
  EXPECT_EQ(fp8_e4m3_to_f32(f32_to_fp8_e4m3(std::ldexp(3.0f, -11))), std::ldexp(1.0f, -9));
}

TEST(Bf16, RoundTripAndRounding) {
  for (uint32_t h = 0; h < 65536; h += 7) {
    const float f = bf16_to_f32(uint16_t(h));
    if (std::isnan(f)) continue;
    EXPECT_EQ(f32_to_bf16(f), h);
  }
  EXPECT_EQ(bf16_to_f32(f32_to_bf16(1.0f + std::ldexp(1.0f, -8))), 1.0f);  // tie -> even
  EXPECT_EQ(bf16_to_f32(f32_to_bf16(1.0f + 3 * std::ldexp(1.0f, -8))), 1.0f + std::ldexp(1.0f, -6));
  EXPECT_TRUE(std::isnan(bf16_to_f32(f32_to_bf16(NAN))));
}

TEST(F16, EveryFiniteCodeRoundTrips) {
  for (uint32_t h = 0; h < 65536; ++h) {
    const float f = f16_to_f32(uint16_t(h));
    if (std::isnan(f)) continue;
    EXPECT_EQ(f32_to_f16(f), h) << h;
  }
  EXPECT_EQ(f16_to_f32(0x3c00), 1.0f);
  EXPECT_EQ(f16_to_f32(0x0001), std::ldexp(1.0f, -24));
}

TEST(DType, Tags) {
  DType t;
  ASSERT_TRUE(dtype_from_tag("F8_E4M3", &t));
  EXPECT_EQ(t, DType::F8_E4M3);
  EXPECT_EQ(dtype_size(t), 1u);
  EXPECT_FALSE(dtype_from_tag("F4", &t));
  EXPECT_STREQ(dtype_tag(DType::BF16), "BF16");
}

}  // namespace
}  // namespace r1
