#include "quant/quantize.h"

#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <vector>

#include "core/error.h"

namespace r1 {

int64_t quant_row_bytes(DType t, int64_t cols) {
  switch (t) {
    case DType::Q8: return qblocks_per_row(cols) * int64_t(sizeof(BlockQ8));
    case DType::Q4: return qblocks_per_row(cols) * kQ4BlockBytes;
    default: throw Error(std::string("quant_row_bytes: ") + dtype_tag(t) + " is not a block format");
  }
}

bool quant_type_from_name(const std::string& name, DType* out) {
  if (name == "q8") *out = DType::Q8;
  else if (name == "q4") *out = DType::Q4;
  else return false;
  return true;
}

const char* quant_type_name(DType t) {
  return t == DType::Q8 ? "q8" : t == DType::Q4 ? "q4" : dtype_tag(t);
}

namespace {

// The smallest f16 >= d (d >= 0, finite). F16C conversions (round to nearest even, as f32_to_f16).
uint16_t f16_at_least(float d) {
  uint16_t h = uint16_t(_cvtss_sh(d, _MM_FROUND_TO_NEAREST_INT));
  if (_cvtsh_ss(h) < d) ++h;  // next representable magnitude
  if (h >= 0x7c00) throw Error("block scale " + std::to_string(d) + " is beyond the f16 range of q8/q4 scales");
  return h;
}

// One block's values (zero padded past n).
void load_block(const float* x, int64_t n, int64_t b, float* v) {
  for (int64_t i = 0; i < kQBlock; ++i) {
    const int64_t j = b * kQBlock + i;
    v[i] = j < n ? x[j] : 0.0f;
    if (!std::isfinite(v[i])) throw Error("cannot quantize a non-finite value (" + std::to_string(v[i]) + ") at column " + std::to_string(j));
  }
}

// q4 codes of v for scale d (d != 0), clamped to [-8, 7]; returns the squared error of d * q.
float q4_codes(const float* v, float d, int* q) {
  const float id = 1.0f / d;
  float err = 0.0f;
  for (int i = 0; i < kQBlock; ++i) {
    const float c = std::clamp(std::nearbyint(v[i] * id), -8.0f, 7.0f);  // (std::fmin/fmax are libm calls)
    q[i] = int(c);
    const float e = v[i] - d * c;
    err += e * e;
  }
  return err;
}

}  // namespace

void quantize_row_q8(const float* x, int64_t n, BlockQ8* out) {
  for (int64_t b = 0; b < qblocks_per_row(n); ++b) {
    float v[kQBlock];
    load_block(x, n, b, v);
    float amax = 0.0f;
    for (float a : v) amax = std::max(amax, std::fabs(a));
    const uint16_t h = f16_at_least(amax / 127.0f);
    const float d = _cvtsh_ss(h), id = d > 0.0f ? 1.0f / d : 0.0f;
    out[b].d = h;
    for (int i = 0; i < kQBlock; ++i) out[b].q[i] = int8_t(std::clamp(std::nearbyint(v[i] * id), -127.0f, 127.0f));
  }
}

void quantize_row_q4(const float* x, int64_t n, uint8_t* out) {
  const int64_t nb = qblocks_per_row(n);
  std::memset(out, 0, size_t(nb * kQ4BlockBytes));
  for (int64_t b = 0; b < nb; ++b) {
    float v[kQBlock];
    load_block(x, n, b, v);
    float mx = 0.0f, mn = 0.0f;
    for (float a : v) {
      mx = std::max(mx, a);
      mn = std::min(mn, a);
    }
    int best[kQBlock];
    float dbest = 0.0f;
    if (mx > 0.0f || mn < 0.0f) {
      // sign: the extreme of larger magnitude is the one mapped towards -8.
      const float sign = -mn >= mx ? 1.0f : -1.0f;
      const float big = sign > 0 ? -mn : mx, other = sign > 0 ? mx : -mn;  // magnitudes on the -8 / +7 sides
      const float dmin = std::max(big / 8.5f, other / 7.5f);
      float best_err = INFINITY;
      int q[kQBlock];
      auto consider = [&](float dmag) {
        if (!(dmag >= dmin)) return;
        const float d = sign * _cvtsh_ss(f16_at_least(dmag));  // the scale as stored
        const float err = q4_codes(v, d, q);
        if (err < best_err) {
          best_err = err;
          dbest = d;
          std::memcpy(best, q, sizeof q);
        }
      };
      for (int k = 0; k < 6; ++k) {
        const float dk = dmin * (1.0f + float(k) / 16.0f);
        consider(dk);
        // Least-squares scale for the codes of candidate k: argmin_d sum (v - d q)^2 = sum v q / sum q^2.
        q4_codes(v, sign * dk, q);
        float vq = 0.0f, qq = 0.0f;
        for (int i = 0; i < kQBlock; ++i) {
          vq += v[i] * float(q[i]);
          qq += float(q[i] * q[i]);
        }
        if (qq > 0.0f) consider(std::fabs(vq / qq));
      }
    }
    if (dbest == 0.0f)
      for (int& c : best) c = 0;
    // Into the row's layout (kernels/qblocks.h): the scale, then the codes in their nibbles.
    const Q4Block o = q4_block(out, nb, b);
    const uint16_t h = uint16_t(_cvtss_sh(dbest, _MM_FROUND_TO_NEAREST_INT));  // exact: dbest is an f16 value
    std::memcpy(const_cast<uint8_t*>(o.scale), &h, 2);
    uint8_t* c = const_cast<uint8_t*>(o.codes);
    for (int j = 0; j < kQBlock; ++j) {
      const int u = best[j] + 8;
      if (o.part == 2) c[j % 16] = uint8_t(c[j % 16] | (j < 16 ? u : u << 4));
      else c[j] = uint8_t(c[j] | (o.part == 0 ? u : u << 4));
    }
  }
}

Weight quantize_weight(const Weight& w, DType type) {
  require(is_block_quant(type), "quantize_weight: target must be q8 or q4");
  require(!w.empty(), "quantize_weight: weight '" + w.name + "' is empty");
  const int64_t rb = quant_row_bytes(type, w.cols);
  auto buf = std::make_shared<std::vector<uint8_t>>(size_t(w.rows * rb));
  std::string error;
#pragma omp parallel
  {
    std::vector<float> row(static_cast<size_t>(w.cols));
#pragma omp for schedule(static)
    for (int64_t r = 0; r < w.rows; ++r) {
      try {
        w.dequant_row(r, row.data());
        uint8_t* dst = buf->data() + r * rb;
        if (type == DType::Q8) quantize_row_q8(row.data(), w.cols, reinterpret_cast<BlockQ8*>(dst));
        else quantize_row_q4(row.data(), w.cols, dst);
      } catch (const std::exception& e) {
#pragma omp critical
        if (error.empty()) error = "row " + std::to_string(r) + ": " + e.what();
      }
    }
  }
  if (!error.empty()) throw Error("quantizing weight '" + w.name + "' to " + quant_type_name(type) + ": " + error);
  Weight q;
  q.dtype = type;
  q.rows = w.rows;
  q.cols = w.cols;
  q.name = w.name;
  q.data = buf->data();
  q.owner = std::move(buf);
  return q;
}

}  // namespace r1
