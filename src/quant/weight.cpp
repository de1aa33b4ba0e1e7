#include "quant/weight.h"

#include <omp.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <vector>

#include "core/error.h"
#include "io/safetensors.h"
#include "kernels/cpu/dot.h"
#include "kernels/cpu/dot_quant.h"
#include "kernels/cpu/gemm_bf16.h"
#include "kernels/ops.h"
#include "quant/quantize.h"

namespace r1 {

namespace {

const BlockQ8* q8_row(const Weight& w, int64_t r) {
  return reinterpret_cast<const BlockQ8*>(w.data + r * quant_row_bytes(DType::Q8, w.cols));
}
const uint8_t* q4_row(const Weight& w, int64_t r) { return w.data + r * quant_row_bytes(DType::Q4, w.cols); }

using QuantRowsKernel = void (*)(const uint8_t*, int64_t, int64_t, const cpu::QX*, int, int64_t, float*, int64_t);

// The row kernel for a Q8/Q4 weight on this CPU (dot_quant.h): the AVX-512 q4 kernel where it runs, else the
// AVX2 q8 / q4 ones unless the compiler gave the block kernels VNNI (those are then the faster choice: nullptr).
QuantRowsKernel quant_rows_kernel(DType type) {
  if (type == DType::Q4 && cpu::avx512_vnni_enabled()) return cpu::rows_q4_avx512;
  if (cpu::has_vnni()) return nullptr;
  return type == DType::Q4 ? cpu::rows_q4_avx2 : cpu::rows_q8_avx2;
}

// Row r of a Q8/Q4 weight against nx <= 4 pre-quantized activation rows, with the kernel linear() uses.
void dot_quant(const Weight& w, int64_t r, const BlockQ8X* const* xq, int nx, float* out) {
  const int64_t nb = qblocks_per_row(w.cols);
  if (const QuantRowsKernel kernel = quant_rows_kernel(w.dtype)) {
    const cpu::QXPacked packed(xq, nx, nb);
    const int64_t rb = quant_row_bytes(w.dtype, w.cols);
    return kernel(w.data + r * rb, rb, 1, packed.views.data(), nx, nb, out, 1);
  }
  if (w.dtype == DType::Q8) {
    if (nx == 1) out[0] = cpu::dot_q8(q8_row(w, r), xq[0], nb);
    else cpu::dot4_q8(q8_row(w, r), xq, nx, nb, out);
  } else {
    if (nx == 1) out[0] = cpu::dot_q4(q4_row(w, r), xq[0], nb);
    else cpu::dot4_q4(q4_row(w, r), xq, nx, nb, out);
  }
}

// The U8 tensor `t` as a q8/q4 weight of (rows, cols), checked against its file's r1.quant.<name> entry.
void bind_block_quant(const TensorView& t, const std::string& name, int64_t rows, int64_t cols, Weight& w) {
  const std::string where = *t.file + ": tensor '" + name + "'";
  const std::string key = "r1.quant." + name;
  if (!t.metadata || !t.metadata->count(key))
    throw Error(where + " is U8 but the file's __metadata__ has no '" + key +
                "' entry describing a q8/q4 block format (not written by r1 quantize?)");
  nlohmann::json m;
  try {
    m = nlohmann::json::parse(t.metadata->at(key));
  } catch (const nlohmann::json::exception& e) {
    throw Error(where + ": __metadata__ '" + key + "' is not valid JSON: " + e.what());
  }
  auto field = [&](const char* f) -> const nlohmann::json& {
    if (!m.is_object() || !m.contains(f)) throw Error(where + ": __metadata__ '" + key + "' lacks \"" + f + "\"");
    return m[f];
  };
  const nlohmann::json& fmt = field("format");
  require(fmt.is_string(), where + ": __metadata__ '" + key + "': \"format\" must be a string");
  DType type;
  if (!quant_type_from_name(fmt.get<std::string>(), &type))
    throw Error(where + ": unknown quantized format '" + fmt.get<std::string>() + "' (r1 knows q8 and q4)");
  for (const char* f : {"rows", "cols", "block"})
    require(field(f).is_number_integer(), where + ": __metadata__ '" + key + "': \"" + f + "\" must be an integer");
  if (field("block").get<int64_t>() != kQBlock)
    throw Error(where + ": block size " + std::to_string(field("block").get<int64_t>()) + " is not supported (r1's " +
                fmt.get<std::string>() + " blocks hold " + std::to_string(kQBlock) + " weights)");
  if (type == DType::Q4 && (!m.contains("layout") || m["layout"] != kQ4LayoutName))
    throw Error(where + ": q4 blocks in an older layout (no \"layout\": \"" + kQ4LayoutName +
                "\" in __metadata__ '" + key + "'); quantize the model again with this r1");
  if (field("rows").get<int64_t>() != rows || field("cols").get<int64_t>() != cols)
    throw Error(where + ": holds a " + std::to_string(field("rows").get<int64_t>()) + " x " +
                std::to_string(field("cols").get<int64_t>()) + " weight but the config implies " + std::to_string(rows) +
                " x " + std::to_string(cols));
  const int64_t rb = quant_row_bytes(type, cols);
  if (t.shape != std::vector<int64_t>{rows, rb}) {
    TensorView want;
    want.shape = {rows, rb};
    throw Error(where + " has shape " + t.shape_str() + " but " + fmt.get<std::string>() + " with " + std::to_string(rows) +
                " rows of " + std::to_string(cols) + " columns needs " + want.shape_str());
  }
  require(reinterpret_cast<uintptr_t>(t.data) % 2 == 0, where + ": data is not 2-byte aligned (f16 block scales)");
  w.dtype = type;
}

}  // namespace

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
    case DType::Q8: return cpu::dequant_q8(q8_row(*this, r), cols, out);
    case DType::Q4: return cpu::dequant_q4(q4_row(*this, r), cols, out);
    default:
      throw Error("weight '" + name + "': unsupported dtype " + dtype_tag(dtype));
  }
}

int64_t Weight::nbytes() const {
  if (is_block_quant(dtype)) return rows * quant_row_bytes(dtype, cols);
  int64_t n = rows * cols * int64_t(dtype_size(dtype));
  if (dtype == DType::F8_E4M3)
    n += ((rows + block_out - 1) / block_out) * ((cols + block_in - 1) / block_in) * 4;
  return n;
}

Weight load_weight(const Checkpoint& ck, const std::string& name, int64_t rows, int64_t cols, int64_t block_out,
                   int64_t block_in) {
  const TensorView& t = ck.get(name);
  Weight w;
  w.name = name;
  w.dtype = t.dtype;
  w.rows = rows;
  w.cols = cols;
  w.data = t.data;
  w.block_out = block_out;
  w.block_in = block_in;
  if (t.dtype == DType::U8) {
    bind_block_quant(t, name, rows, cols, w);
    return w;
  }
  ck.get(name, {rows, cols});  // shape check
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
                  "; a linear weight must be F32, BF16, F16, F8_E4M3 or U8 (q8/q4 blocks)");
  }
  return w;
}

float Weight::dot_row(int64_t r, const float* x) const {
  switch (dtype) {
    case DType::F32: return cpu::dot_f32_weights(reinterpret_cast<const float*>(data) + r * cols, x, cols);
    case DType::BF16: return cpu::dot_bf16(reinterpret_cast<const uint16_t*>(data) + r * cols, x, cols);
    case DType::F16: return cpu::dot_f16(reinterpret_cast<const uint16_t*>(data) + r * cols, x, cols);
    case DType::F8_E4M3: {
      const int64_t scols = (cols + block_in - 1) / block_in;
      return cpu::dot_fp8(data + r * cols, scale_inv + (r / block_out) * scols, block_in, x, cols);
    }
    case DType::Q8: case DType::Q4: {
      std::vector<BlockQ8X> xq(static_cast<size_t>(qblocks_per_row(cols)));
      cpu::quantize_x(x, cols, xq.data());
      const BlockQ8X* xs[1] = {xq.data()};
      float out;
      dot_quant(*this, r, xs, 1, &out);
      return out;
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
    case DType::Q8: case DType::Q4: {
      const int64_t nb = qblocks_per_row(cols);
      std::vector<BlockQ8X> xq(static_cast<size_t>(nx * nb));
      const BlockQ8X* xs[4];
      for (int k = 0; k < nx; ++k) {
        cpu::quantize_x(x[k], cols, &xq[size_t(k * nb)]);
        xs[k] = &xq[size_t(k * nb)];
      }
      return dot_quant(*this, r, xs, nx, out);
    }
    default:
      throw Error("weight '" + name + "': unsupported dtype " + dtype_tag(dtype));
  }
}

namespace {

// Inputs from which the Auto pass takes the GEMM path (quantized inputs and the 4-wide dot kernels below it).
constexpr int64_t kGemmMinRows = 16;
constexpr int64_t kGemmBlock = 64;  // weight rows dequantized per bf16 GEMM call (AVX512-BF16 CPUs)
// BF16 weights without AVX512-BF16: cpu::rows_bf16 (no dequantized copy) for every T, decode and prompts alike:
// each (row, input) pair sums in one order whatever T, so a prompt gives the same bits in one call or in chunks.
// On Zen 1 they also beat dequantize + OpenBLAS sgemm on a whole V2-Lite-8l pp512 (22.9 / 44.4 tok/s on 1 / 2
// threads against 22.1 / 43.4; docs/benchmarks.md, session 9). Inputs are taken in blocks that stay in L2.
constexpr int64_t kBf16InputBlock = 32;

// BF16 weights on a CPU with AVX512-BF16: the inputs are rounded to bf16 once, then each thread multiplies
// panels of weight rows with all of them (decode and prefill alike; kernels/cpu/gemm_bf16.h).
void linear_bf16_avx512(const Weight& w, int64_t r0, int64_t r1, const float* x, int64_t T, float* y, bool par) {
  const int64_t n = r1 - r0, panel = T < kGemmMinRows ? 16 : 64;  // small panels balance the threads in decode
  // (T, cols), the calling thread's buffer, reused (a decode step makes hundreds of these calls). The threads of
  // the region below read it through `xp`: inside the region `xb` would name each thread's own buffer.
  thread_local std::vector<uint16_t> xb;
  if (xb.size() < size_t(T * w.cols)) xb.resize(size_t(T * w.cols));
  const uint16_t* xp = xb.data();
  cpu::to_bf16_avx512(x, T * w.cols, xb.data());
  const uint16_t* W = reinterpret_cast<const uint16_t*>(w.data);
  const int64_t nb = (n + panel - 1) / panel;
#pragma omp parallel for schedule(static) if (par)
  for (int64_t b = 0; b < nb; ++b) {
    const int64_t rb = r0 + b * panel, m = std::min(panel, r1 - rb);
    cpu::gemm_bf16_avx512(W + rb * w.cols, w.cols, m, xp, w.cols, T, w.cols, y + (rb - r0), n);
  }
}

// The GEMM path of F32, F16, and of Q8 / Q4 / FP8 on CPUs without AVX512-BF16: panels of rows as f32 (F32
// weights as stored; other formats dequantized, exactly, into the thread's buffer), then cpu::rows_f32 over
// blocks of inputs that stay in L2. Row invariant like the BF16 tiles. Against dequantize + OpenBLAS sgemm on
// V2-Lite-8l q8 (Zen 1, 2 threads): pp16-pp64 twice as fast (no packing copy of each panel: a third of a short
// prompt's time), pp512 equal (43.1 / 43.0 tok/s; 1 thread 19.8 / 21.3). Input blocks of 16: 32 ran 41.2, 64 40.3.
constexpr int64_t kF32InputBlock = 16;
void linear_f32_tiles(const Weight& w, int64_t r0, int64_t r1, const float* x, int64_t T, float* y, bool par) {
  const int64_t n = r1 - r0, K = w.cols;
  constexpr int64_t kPanel = 16;
  const int64_t nb = (n + kPanel - 1) / kPanel;
#pragma omp parallel if (par)
  {
    std::vector<float> buf(w.dtype == DType::F32 ? 0 : size_t(kPanel * K));
#pragma omp for schedule(static)
    for (int64_t b = 0; b < nb; ++b) {
      const int64_t rb = r0 + b * kPanel, m = std::min(kPanel, r1 - rb);
      const float* W = reinterpret_cast<const float*>(w.data) + rb * K;
      if (w.dtype != DType::F32) {
        for (int64_t i = 0; i < m; ++i) w.dequant_row(rb + i, &buf[size_t(i * K)]);
        W = buf.data();
      }
      for (int64_t t0 = 0; t0 < T; t0 += kF32InputBlock)
        cpu::rows_f32(W, K, m, x + t0 * K, std::min(kF32InputBlock, T - t0), K, y + t0 * n + (rb - r0), n);
    }
  }
}

// Whether a call takes the per-row kernels (true) or the GEMM path (false), see LinearPass.
bool per_row_kernels(LinearPass pass, int64_t T) {
  return pass == LinearPass::Decode || (pass == LinearPass::Auto && T < kGemmMinRows);
}

}  // namespace

bool linear_quantizes_inputs(const Weight& w, int64_t T, LinearPass pass) {
  if (!is_block_quant(w.dtype)) return false;
  return per_row_kernels(pass, T) || (w.dtype == DType::Q4 && quant_rows_kernel(w.dtype) == cpu::rows_q4_avx2);
}

void linear_rows(const Weight& w, int64_t r0, int64_t r1, const float* x, int64_t T, float* y, LinearPass pass) {
  const int64_t n = r1 - r0;
  const bool rows_path = per_row_kernels(pass, T);
  // Threads only pay off for enough work: a barrier costs microseconds, and far more when the other core is busy.
  const bool par = n * w.cols * std::max<int64_t>(T, 1) >= (int64_t(1) << 16);
  if (w.dtype == DType::BF16 && cpu::avx512_bf16_enabled()) return linear_bf16_avx512(w, r0, r1, x, T, y, par);
  // Q8 / Q4: int8 activations once, then integer dot products, in a decode pass (and below kGemmMinRows inputs in
  // the Auto pass); and for q4 prompts too where the AVX2 row kernel runs: on Zen 1 it beat dequantize + sgemm,
  // whole-model V2-Lite-8l pp512 25.7-28.1 against 22.9-25.4 tok/s on one thread, 49-50 against 43.6 on two.
  // (q8 prompts take the f32 tiles: 17.8 against 22.8 with sgemm then.)
  if (linear_quantizes_inputs(w, T, pass)) {
    const int64_t nb = qblocks_per_row(w.cols);
    std::vector<BlockQ8X> xq(static_cast<size_t>(T * nb));  // (T, blocks)
    for (int64_t t = 0; t < T; ++t) cpu::quantize_x(x + t * w.cols, w.cols, &xq[size_t(t * nb)]);
    const int64_t rb = quant_row_bytes(w.dtype, w.cols);
    if (const QuantRowsKernel kernel = quant_rows_kernel(w.dtype)) {  // the inputs packed once per call
      std::vector<const BlockQ8X*> rows(static_cast<size_t>(T));
      for (int64_t t = 0; t < T; ++t) rows[size_t(t)] = &xq[size_t(t * nb)];
      const cpu::QXPacked packed(rows.data(), T, nb);
      const std::vector<cpu::QX>& xs = packed.views;
      constexpr int64_t kRowBlock = 16;  // rows per call, and per scheduling unit of the threads
      const int64_t blocks = (n + kRowBlock - 1) / kRowBlock;
#pragma omp parallel for schedule(static) if (par)
      for (int64_t b = 0; b < blocks; ++b) {
        const int64_t rb0 = r0 + b * kRowBlock, m = std::min(kRowBlock, r1 - rb0);
        for (int64_t t0 = 0; t0 < T; t0 += 4)
          kernel(w.data + rb0 * rb, rb, m, &xs[size_t(t0)], int(std::min<int64_t>(4, T - t0)), nb, y + t0 * n + (rb0 - r0), n);
      }
      return;
    }
#pragma omp parallel for schedule(static) if (par)
    for (int64_t r = r0; r < r1; ++r) {
      for (int64_t t0 = 0; t0 < T; t0 += 4) {
        const int nx = int(std::min<int64_t>(4, T - t0));
        const BlockQ8X* xs[4];
        float out[4];
        for (int k = 0; k < nx; ++k) xs[k] = &xq[size_t((t0 + k) * nb)];
        dot_quant(w, r, xs, nx, out);
        for (int k = 0; k < nx; ++k) y[(t0 + k) * n + (r - r0)] = out[k];
      }
    }
    return;
  }
  if (w.dtype == DType::BF16) {  // register tiles for every T, each input summed as alone
    thread_local std::vector<float> xpb;  // the calling thread's; the region's threads read it through xp
    if (xpb.size() < size_t(T * w.cols)) xpb.resize(size_t(T * w.cols));
    cpu::pack_bf16_inputs(x, w.cols, T, w.cols, xpb.data());
    const float* xp = xpb.data();
    const uint16_t* W = reinterpret_cast<const uint16_t*>(w.data);
    constexpr int64_t kPanel = 16;
    const int64_t nb = (n + kPanel - 1) / kPanel;
#pragma omp parallel for schedule(static) if (par)
    for (int64_t b = 0; b < nb; ++b) {
      const int64_t rb = r0 + b * kPanel, m = std::min(kPanel, r1 - rb);
      for (int64_t t0 = 0; t0 < T; t0 += kBf16InputBlock)  // a block of packed inputs stays in L2
        cpu::rows_bf16(W + rb * w.cols, w.cols, m, xp + t0 * w.cols, std::min(kBf16InputBlock, T - t0), w.cols,
                       y + t0 * n + (rb - r0), n);
    }
    return;
  }
  if (rows_path && w.dtype == DType::F32 && T > 1) {
    // A few inputs (batched or speculative decode): the row streams from memory once, against the first two
    // inputs together; further inputs, two at a time, find it in L1.
    const float* W = reinterpret_cast<const float*>(w.data);
#pragma omp parallel for schedule(static) if (par)
    for (int64_t r = r0; r < r1; ++r) {
      const float* row = W + r * w.cols;
      for (int64_t t = 0; t < T; t += 2) {
        if (t + 1 < T) cpu::dot2_f32_weights(row, x + t * w.cols, x + (t + 1) * w.cols, w.cols, &y[t * n + (r - r0)],
                                             &y[(t + 1) * n + (r - r0)]);
        else y[t * n + (r - r0)] = cpu::dot_f32(row, x + t * w.cols, w.cols);
      }
    }
    return;
  }
  if (rows_path) {
#pragma omp parallel for schedule(static) if (par)
    for (int64_t r = r0; r < r1; ++r) {
      if (T == 1) {
        y[r - r0] = w.dot_row(r, x);
        continue;
      }
      // Up to 4 inputs per load of the row; each input's sum is the same as alone (T == 1), see kernels/cpu/dot.h.
      for (int64_t t0 = 0; t0 < T; t0 += 4) {
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
  if (cpu::avx512_bf16_enabled() && (is_block_quant(w.dtype) || w.dtype == DType::F8_E4M3)) {
    // Q8 / Q4 / FP8 prompts on an AVX512-BF16 CPU: panels dequantized to f32, rounded to bf16 (as DeepSeek's
    // FP8 reference dequantizes to bf16 before its GEMM; an int8 or 4-bit code times its scale loses at most
    // 2^-9 relative), then the bf16 GEMM with the inputs rounded once; 2-3x the f32 sgemm. (F16 keeps f32:
    // bf16 would drop 3 of its mantissa bits.)
    const int64_t nb = (n + kGemmBlock - 1) / kGemmBlock;
    std::vector<uint16_t> xb(static_cast<size_t>(T * w.cols));
    cpu::to_bf16_avx512(x, T * w.cols, xb.data());
#pragma omp parallel if (par)
    {
      std::vector<float> buf(static_cast<size_t>(kGemmBlock * w.cols));
      std::vector<uint16_t> wb(buf.size());
#pragma omp for schedule(static)
      for (int64_t b = 0; b < nb; ++b) {
        const int64_t rb = r0 + b * kGemmBlock, m = std::min(kGemmBlock, r1 - rb);
        for (int64_t i = 0; i < m; ++i) w.dequant_row(rb + i, &buf[size_t(i * w.cols)]);
        cpu::to_bf16_avx512(buf.data(), m * w.cols, wb.data());
        cpu::gemm_bf16_avx512(wb.data(), w.cols, m, xb.data(), w.cols, T, w.cols, y + (rb - r0), n);
      }
    }
    return;
  }
  linear_f32_tiles(w, r0, r1, x, T, y, par);
}

void linear(const Weight& w, const float* x, int64_t T, float* y, LinearPass pass) {
  linear_rows(w, 0, w.rows, x, T, y, pass);
}

}  // namespace r1
