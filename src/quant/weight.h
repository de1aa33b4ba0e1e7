// A linear layer's weight in whatever format the checkpoint stores it, behind one interface. The model
// calls linear() and never branches on the format. Weights stay in the memory-mapped file: FP8 blocks are
// dequantized on the fly, row by row, never expanded into a full-size copy. q8 / q4 block formats
// (kernels/qblocks.h) are mapped the same way from an `r1 quantize` folder, or live in memory the Weight owns
// when quantized at load time (quant/quantize.h).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/dtype.h"

namespace r1 {

class Checkpoint;

struct Weight {
  DType dtype = DType::F32;     // F32, BF16, F16, F8_E4M3, Q8 or Q4
  int64_t rows = 0, cols = 0;   // (out_features, in_features), PyTorch order
  const uint8_t* data = nullptr;
  // FP8 only: scale_inv (ceil(rows/block_out), ceil(cols/block_in)), f32; W = e4m3(q) * scale_inv[i/bo, j/bi].
  const float* scale_inv = nullptr;
  int64_t block_out = 128, block_in = 128;
  std::string name;
  // Keeps `data` alive when the weight owns its bytes (load-time quantization); null for mapped weights.
  std::shared_ptr<const void> owner;

  bool empty() const { return data == nullptr; }
  // Writes row r of W, dequantized to f32, into out[cols]. (The readable twin of dot_row.)
  void dequant_row(int64_t r, float* out) const;
  // Row r as f32: a pointer into the weight itself when it is stored as F32, else dequantized into buf[cols].
  const float* row_f32(int64_t r, float* buf) const {
    if (dtype == DType::F32) return reinterpret_cast<const float*>(data) + r * cols;
    dequant_row(r, buf);
    return buf;
  }
  // Row r of W dotted with x[cols], straight from the stored format (AVX2 kernels in kernels/cpu). Q8/Q4
  // quantize x to int8 blocks first (linear() does that once per input row instead of once per weight row).
  float dot_row(int64_t r, const float* x) const;
  // Row r dotted with nx <= 4 vectors x[k] at once (one load of the row): out[k].
  void dot_row4(int64_t r, const float* const* x, int nx, float* out) const;
  // Bytes the weight occupies (with its scales).
  int64_t nbytes() const;
};

// Looks up HF tensor `name` (and `name`_scale_inv when FP8), checks shape (rows, cols) and dtype; errors
// name the tensor and its file. A U8 tensor is a q8/q4 weight written by `r1 quantize`: its file's
// __metadata__ must hold "r1.quant.<name>" = {"format": "q8"|"q4", "rows": R, "cols": C, "block": 32} and the
// tensor's shape must be [R, quant_row_bytes(format, C)]; it is mapped, not copied.
Weight load_weight(const Checkpoint& ck, const std::string& name, int64_t rows, int64_t cols,
                   int64_t block_out = 128, int64_t block_in = 128);

// Which kernels linear() runs for T inputs.
//  Auto:    by T: per-row kernels for few inputs (decode), the GEMM path for many (prefill); the fastest per call.
//  Decode:  the per-row kernels for every T. Each input's outputs then have the bits they have alone (T == 1),
//           whatever else shares the call: a batched decode step gives every sequence what it gets decoded alone.
//  Prompt:  the prompt path for every T, even 1: Q8 / Q4 / FP8 / F16 / F32 weights take the GEMM path (f32
//           inputs against the exact dequantized weights; no int8 inputs), so how a prompt is split into chunks
//           never switches the arithmetic between int8 and f32. The summation order can still depend on T
//           (OpenBLAS sgemm blocks by matrix size; BF16 tiles up to 64 inputs, sgemm above): rounding only.
// The GEMM path for BF16 without AVX512-BF16 is the tiles up to 64 inputs, then sgemm; Q4 on an AVX2 CPU without
// VNNI keeps its integer row kernel in every pass (faster there than dequantize + sgemm).
enum class LinearPass { Auto, Prompt, Decode };

// y (T, rows) = x (T, cols) @ W^T. Reads every weight row once for all T inputs. Multithreaded (OpenMP).
// Per-row kernels on the stored format (for Q8/Q4: x is quantized to int8 blocks once, then integer dot
// products); or the GEMM path: blocks of rows dequantized to f32 and multiplied with OpenBLAS sgemm. BF16
// weights on a CPU with AVX512-BF16 (cpu::avx512_bf16_enabled()): x is rounded to bf16 once and every T takes
// the bf16 GEMM kernels (vdpbf16ps, f32 accumulation), as llama.cpp does; on such a CPU the Q8 / Q4 / FP8 GEMM
// path dequantizes to bf16 for the same kernels. `pass` picks between them (LinearPass).
void linear(const Weight& w, const float* x, int64_t T, float* y, LinearPass pass = LinearPass::Auto);

// Whether linear() on w with T inputs in `pass` quantizes them to int8 blocks (the Q8 / Q4 integer kernels) on
// this CPU.
bool linear_quantizes_inputs(const Weight& w, int64_t T, LinearPass pass = LinearPass::Auto);

// The same, computing only output rows [r0, r1) into y (T, r1 - r0).
void linear_rows(const Weight& w, int64_t r0, int64_t r1, const float* x, int64_t T, float* y,
                 LinearPass pass = LinearPass::Auto);

}  // namespace r1
