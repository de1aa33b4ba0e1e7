// `r1 quantize`: a Hugging Face folder (any format r1 loads: f32 / bf16 / f16 / FP8 e4m3 blocks, one file or
// shards) -> a new folder whose linear weights are q8 or q4 blocks (policy: model/quantize_model.h).
//
// Output layout: one safetensors file per input file, same names (plus model.safetensors.index.json when the
// input has one). A quantized weight is a U8 tensor of shape [rows, quant_row_bytes(format, cols)] (its rows
// of blocks, kernels/qblocks.h), described in its file's __metadata__ under "r1.quant.<tensor name>" by the
// JSON text {"format": "q8"|"q4", "rows": R, "cols": C, "block": 32}. FP8 weights that are not quantized
// become BF16, their *_scale_inv tensors are dropped; every other tensor is copied as stored. config.json
// loses quantization_config and gains "r1_quantization": {"format", "block_size", "output_head"}; every other
// regular file of the folder (tokenizer.json, tokenizer_config.json, ...) is copied. Every file is written
// atomically; the output folder must not exist yet or be empty.
#pragma once

#include <cstdint>
#include <string>

#include "core/dtype.h"

namespace r1 {

struct QuantizeOptions {
  std::string model;        // input folder
  std::string out;          // output folder
  DType type = DType::Q8;   // Q8 or Q4
};

struct QuantizeReport {
  int64_t quantized = 0;           // tensors written as q8/q4
  int64_t bytes_in = 0, bytes_out = 0;  // tensor data bytes read / written
};

QuantizeReport quantize_checkpoint(const QuantizeOptions& o);

}  // namespace r1
