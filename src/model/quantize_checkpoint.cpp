#include "model/quantize_checkpoint.h"

#include <cstring>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "io/file_util.h"
#include "io/safetensors.h"
#include "io/safetensors_writer.h"
#include "model/config.h"
#include "model/quantize_model.h"
#include "model/weights.h"
#include "quant/quantize.h"

namespace fs = std::filesystem;

namespace r1 {

namespace {

const std::string kScaleSuffix = "_scale_inv";

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

OwnedTensor block_tensor(const Weight& q) {
  OwnedTensor t;
  t.name = q.name;
  t.dtype = DType::U8;
  t.shape = {q.rows, quant_row_bytes(q.dtype, q.cols)};
  t.bytes.assign(q.data, q.data + q.nbytes());
  return t;
}

std::string block_metadata(const Weight& q) {
  nlohmann::json j{{"format", quant_type_name(q.dtype)}, {"rows", q.rows}, {"cols", q.cols}, {"block", kQBlock}};
  if (q.dtype == DType::Q4) j["layout"] = kQ4LayoutName;  // blocks grouped by 8 (kernels/qblocks.h)
  return j.dump();
}

OwnedTensor to_bf16(const Weight& w) {
  OwnedTensor t;
  t.name = w.name;
  t.dtype = DType::BF16;
  t.shape = {w.rows, w.cols};
  t.bytes.resize(size_t(w.rows * w.cols * 2));
  std::vector<float> row(static_cast<size_t>(w.cols));
  for (int64_t r = 0; r < w.rows; ++r) {
    w.dequant_row(r, row.data());
    for (int64_t j = 0; j < w.cols; ++j) {
      const uint16_t h = f32_to_bf16(row[size_t(j)]);
      std::memcpy(&t.bytes[size_t((r * w.cols + j) * 2)], &h, 2);
    }
  }
  return t;
}

void write_config(const std::string& in_dir, const std::string& out_dir, DType type) {
  const std::string path = in_dir + "/config.json";
  nlohmann::ordered_json c;
  try {
    c = nlohmann::ordered_json::parse(read_file(path));
  } catch (const nlohmann::json::exception& e) {
    throw Error(path + ": invalid JSON: " + e.what());
  }
  c.erase("quantization_config");  // the FP8 weights are gone
  c["r1_quantization"] = {{"format", quant_type_name(type)}, {"block_size", kQBlock}, {"output_head", "q8"}};
  write_file_atomic(out_dir + "/config.json", c.dump(2) + "\n");
}

}  // namespace

QuantizeReport quantize_checkpoint(const QuantizeOptions& o) {
  require(is_block_quant(o.type), "--type must be q8 or q4");
  require(fs::is_directory(o.model), o.model + ": not a model folder");
  require(!o.out.empty(), "--out is required");
  std::error_code ec;
  if (fs::exists(o.out)) {
    require(fs::is_directory(o.out) && fs::is_empty(o.out), o.out + ": output folder exists and is not empty");
    require(!fs::equivalent(o.model, o.out, ec), "--out must differ from --model");
  }
  const ModelConfig cfg = load_model_config(o.model);
  const Checkpoint ck(o.model);
  ModelWeights mw = load_model_weights(cfg, ck);  // binds and validates every tensor the config calls for
  std::map<std::string, QuantTarget> plan;
  for (const QuantTarget& t : quant_plan(mw, o.type)) plan.emplace(t.weight->name, t);

  // Tensors by the file that holds them (output files mirror the input files).
  std::map<std::string, std::vector<std::string>> by_file;
  for (const std::string& name : ck.names()) by_file[*ck.get(name).file].push_back(name);

  fs::create_directories(o.out);
  QuantizeReport rep;
  nlohmann::ordered_json weight_map = nlohmann::ordered_json::object();
  for (const auto& [file, names] : by_file) {
    std::vector<OwnedTensor> tensors;
    std::map<std::string, std::string> meta = {{"format", "pt"}};
    for (const std::string& name : names) {
      const TensorView& v = ck.get(name);
      rep.bytes_in += int64_t(v.nbytes);
      if (ends_with(name, kScaleSuffix)) {
        const std::string base = name.substr(0, name.size() - kScaleSuffix.size());
        if (ck.has(base) && ck.get(base).dtype == DType::F8_E4M3) continue;  // consumed with its weight
      }
      if (auto it = plan.find(name); it != plan.end()) {
        const Weight& w = *it->second.weight;
        const Weight q = w.dtype == it->second.type ? w : quantize_weight(w, it->second.type);
        tensors.push_back(block_tensor(q));
        meta["r1.quant." + name] = block_metadata(q);
        ++rep.quantized;
      } else if (v.dtype == DType::F8_E4M3) {
        require(v.shape.size() == 2, file + ": FP8 tensor '" + name + "' is not a matrix");
        tensors.push_back(to_bf16(load_weight(ck, name, v.shape[0], v.shape[1], cfg.fp8_block_out, cfg.fp8_block_in)));
      } else {
        OwnedTensor t;
        t.name = name;
        t.dtype = v.dtype;
        t.shape = v.shape;
        t.bytes.assign(v.data, v.data + v.nbytes);
        if (v.metadata && v.metadata->count("r1.quant." + name))  // a block tensor outside the plan: keep its description
          meta["r1.quant." + name] = v.metadata->at("r1.quant." + name);
        tensors.push_back(std::move(t));
      }
    }
    std::vector<const OwnedTensor*> ptrs;
    for (const OwnedTensor& t : tensors) {
      ptrs.push_back(&t);
      rep.bytes_out += int64_t(t.bytes.size());
      weight_map[t.name] = fs::path(file).filename().string();
    }
    write_safetensors(o.out + "/" + fs::path(file).filename().string(), ptrs, meta);
  }
  const bool indexed = fs::exists(fs::path(o.model) / "model.safetensors.index.json");
  if (indexed) {
    nlohmann::ordered_json index;
    index["metadata"] = {{"total_size", rep.bytes_out}};
    index["weight_map"] = weight_map;
    write_file_atomic(o.out + "/model.safetensors.index.json", index.dump(2) + "\n");
  }
  write_config(o.model, o.out, o.type);
  for (const auto& e : fs::directory_iterator(o.model)) {  // tokenizer.json, tokenizer_config.json, ...
    const std::string fname = e.path().filename().string();
    if (!e.is_regular_file() || e.path().extension() == ".safetensors" || fname == "config.json" ||
        fname == "model.safetensors.index.json" || fname.find(".tmp.") != std::string::npos)
      continue;
    write_file_atomic(o.out + "/" + fname, read_file(e.path().string()));
  }
  return rep;
}

}  // namespace r1
