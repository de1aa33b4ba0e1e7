// Scalar reference versions of the q8 / q4 kernels (see quant_ref.h).
#include "kernels/ref/quant_ref.h"

#include <cmath>

#include "core/dtype.h"

namespace r1::ref {

void quantize_x(const float* x, int64_t n, BlockQ8X* out) {
  const int64_t nb = qblocks_per_row(n);
  for (int64_t b = 0; b < nb; ++b) {
    float v[kQBlock];
    for (int64_t i = 0; i < kQBlock; ++i) v[i] = b * kQBlock + i < n ? x[b * kQBlock + i] : 0.0f;
    float amax = 0.0f;
    for (float a : v) amax = std::fmax(amax, std::fabs(a));
    BlockQ8X& o = out[b];
    o.d = amax / 127.0f;
    const float id = amax > 0.0f ? 127.0f / amax : 0.0f;
    for (int i = 0; i < kQBlock; ++i) o.q[i] = int8_t(std::nearbyint(v[i] * id));
    for (int l = 0; l < 8; ++l) o.neg8sum[l] = -8 * (o.q[4 * l] + o.q[4 * l + 1] + o.q[4 * l + 2] + o.q[4 * l + 3]);
  }
}

float dot_q8(const BlockQ8* w, const BlockQ8X* x, int64_t nb) {
  float s = 0.0f;
  for (int64_t b = 0; b < nb; ++b) {
    int32_t acc = 0;
    for (int i = 0; i < kQBlock; ++i) acc += int32_t(w[b].q[i]) * int32_t(x[b].q[i]);
    s += f16_to_f32(w[b].d) * x[b].d * float(acc);
  }
  return s;
}

float q4_scale(const uint8_t* row, int64_t nb, int64_t b) {
  const uint8_t* p = q4_block(row, nb, b).scale;
  return f16_to_f32(uint16_t(p[0] | (p[1] << 8)));
}

float dot_q4(const uint8_t* w, const BlockQ8X* x, int64_t nb) {
  float s = 0.0f;
  for (int64_t b = 0; b < nb; ++b) {
    int32_t acc = 0;
    for (int i = 0; i < kQBlock; ++i) acc += q4_value(w, nb, b, i) * int32_t(x[b].q[i]);
    s += q4_scale(w, nb, b) * x[b].d * float(acc);
  }
  return s;
}

void dequant_q8(const BlockQ8* w, int64_t n, float* out) {
  for (int64_t j = 0; j < n; ++j) out[j] = f16_to_f32(w[j / kQBlock].d) * float(w[j / kQBlock].q[j % kQBlock]);
}

void dequant_q4(const uint8_t* w, int64_t n, float* out) {
  const int64_t nb = qblocks_per_row(n);
  for (int64_t j = 0; j < n; ++j) out[j] = q4_scale(w, nb, j / kQBlock) * float(q4_value(w, nb, j / kQBlock, int(j % kQBlock)));
}

}  // namespace r1::ref
