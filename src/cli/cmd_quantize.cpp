// r1 quantize: write a q8 / q4 copy of a model folder (format: model/quantize_checkpoint.h, docs/formats.md).
#include <chrono>
#include <cstdio>

#include "cli/commands.h"
#include "core/error.h"
#include "model/quantize_checkpoint.h"
#include "quant/quantize.h"

namespace r1::cli {

Action add_quantize(CLI::App& app) {
  auto* cmd = app.add_subcommand("quantize", "Write a copy of a model folder with q8 or q4 block-quantized linear weights");
  struct Opts { std::string model, out, type; int threads = 0; };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--model", o->model, "Hugging Face model folder to read (f32, bf16, f16 or FP8; shards allowed)")->required();
  cmd->add_option("--out", o->out, "Folder to write (must not exist or be empty)")->required();
  cmd->add_option("--type", o->type, "q8 (8.5 bits/weight) or q4 (4.5 bits/weight)")->required();
  cmd->add_option("-t,--threads", o->threads, "Threads (0: all cores)")->default_val(0);
  return [o]() {
    set_threads(o->threads);
    QuantizeOptions q;
    q.model = o->model;
    q.out = o->out;
    if (!quant_type_from_name(o->type, &q.type)) throw Error("--type must be q8 or q4, got '" + o->type + "'");
    const auto t0 = std::chrono::steady_clock::now();
    const QuantizeReport r = quantize_checkpoint(q);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("wrote %s: %lld tensors as %s, %.1f MB of tensors -> %.1f MB, %.1f s\n", o->out.c_str(),
                (long long)r.quantized, o->type.c_str(), double(r.bytes_in) / 1e6, double(r.bytes_out) / 1e6, s);
    return 0;
  };
}

}  // namespace r1::cli
