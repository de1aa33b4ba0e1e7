#include "train/checkpoint.h"

#include <cstring>
#include <filesystem>

#include "core/error.h"
#include "io/file_util.h"
#include "io/safetensors.h"
#include "io/safetensors_writer.h"

namespace r1::train {

using json = nlohmann::json;

namespace {

OwnedTensor tensor(const std::string& name, const std::vector<int64_t>& shape, const float* v, int64_t n, DType dt) {
  OwnedTensor t;
  t.name = name;
  t.dtype = dt;
  t.shape = shape;
  t.bytes.resize(size_t(n) * dtype_size(dt));
  if (dt == DType::F32) {
    std::memcpy(t.bytes.data(), v, size_t(n) * 4);
  } else {
    require(dt == DType::BF16, "checkpoint dtype must be f32 or bf16");
    for (int64_t i = 0; i < n; ++i) {
      const uint16_t h = f32_to_bf16(v[i]);
      std::memcpy(&t.bytes[size_t(i) * 2], &h, 2);
    }
  }
  return t;
}

std::string step_of(const SafetensorsFile& f, const std::string& file) {
  const auto& m = f.metadata();
  const auto it = m.find("r1.step");
  if (it == m.end()) throw Error(file + ": no r1.step in the safetensors metadata (not a training checkpoint)");
  return it->second;
}

}  // namespace

void save_model(const ag::ParamSet<float>& ps, const std::string& config_json, const std::string& dir, DType dtype,
                int64_t step) {
  std::filesystem::create_directories(dir);
  const ModelConfig& c = ps.config();
  std::vector<OwnedTensor> out;
  for (const ag::ParamInfo& t : ps.tensors()) {
    // The router's balancing bias stays f32 (as in DeepSeek's releases); everything else in `dtype`.
    const bool bias = t.name.find("e_score_correction_bias") != std::string::npos;
    out.push_back(tensor(t.name, t.shape, ps.values().data() + t.offset, t.numel, bias ? DType::F32 : dtype));
  }
  // MTP modules share the main embedding and head; published checkpoints hold copies under the MTP layer.
  const ag::ParamInfo& emb = ps.info("model.embed_tokens.weight");
  const ag::ParamInfo& head = ps.info(c.tie_word_embeddings ? "model.embed_tokens.weight" : "lm_head.weight");
  for (int64_t k = 0; k < c.n_mtp_layers; ++k) {
    const std::string p = "model.layers." + std::to_string(c.n_layers + k) + ".";
    out.push_back(tensor(p + "embed_tokens.weight", emb.shape, ps.values().data() + emb.offset, emb.numel, dtype));
    out.push_back(tensor(p + "shared_head.head.weight", head.shape, ps.values().data() + head.offset, head.numel, dtype));
  }
  write_checkpoint_tensors(dir, out, 1, {{"format", "pt"}, {"r1.step", std::to_string(step)}});
  write_file_atomic(dir + "/config.json", config_json);
}

void save_optimizer(AdamW& opt, const std::string& dir, int64_t step) {
  const int64_t n = int64_t(opt.m().size());
  const OwnedTensor m = tensor("adamw.m", {n}, opt.m().data(), n, DType::F32);
  const OwnedTensor v = tensor("adamw.v", {n}, opt.v().data(), n, DType::F32);
  write_safetensors(dir + "/optimizer.safetensors", {&m, &v},
                    {{"r1.step", std::to_string(step)}, {"r1.adamw_steps", std::to_string(opt.steps())}});
}

void save_state(const json& state, const std::string& dir) {
  require(state.contains("step"), "internal: trainer state without a step");
  write_file_atomic(dir + "/trainer_state.json", state.dump(1) + "\n");
}

json load_training_checkpoint(const std::string& dir, ag::ParamSet<float>& ps, AdamW& opt) {
  const std::string sp = dir + "/trainer_state.json";
  if (!std::filesystem::exists(sp)) throw Error(dir + ": no trainer_state.json to resume from");
  json state;
  try {
    state = json::parse(read_file(sp));
  } catch (const json::exception& e) {
    throw Error(sp + ": invalid JSON: " + e.what());
  }
  require(state.contains("step") && state["step"].is_number_integer(), sp + ": key 'step' is missing or not an integer");
  const std::string step = std::to_string(state["step"].get<int64_t>());
  const std::string mp = dir + "/model.safetensors";
  const SafetensorsFile model(mp);
  if (step_of(model, mp) != step)
    throw Error(mp + ": from step " + step_of(model, mp) + " but trainer_state.json says " + step +
                " (a save was interrupted); cannot resume consistently");
  auto get = [](const SafetensorsFile& f, const std::string& name, const std::vector<int64_t>& shape) -> const TensorView& {
    const auto it = f.tensors().find(name);
    if (it == f.tensors().end()) throw Error(f.path() + ": missing tensor '" + name + "'");
    if (it->second.shape != shape) throw Error(f.path() + ": tensor '" + name + "' has shape " + it->second.shape_str());
    return it->second;
  };
  for (const ag::ParamInfo& t : ps.tensors()) {
    const TensorView& v = get(model, t.name, t.shape);
    if (v.dtype != DType::F32)
      throw Error(dir + ": tensor '" + t.name + "' is " + dtype_tag(v.dtype) + "; resuming needs the f32 checkpoint");
    std::memcpy(ps.values().data() + t.offset, v.data, size_t(t.numel) * 4);
  }
  const std::string op = dir + "/optimizer.safetensors";
  const SafetensorsFile ost(op);
  if (step_of(ost, op) != step)
    throw Error(op + ": from step " + step_of(ost, op) + " but trainer_state.json says " + step);
  const int64_t n = int64_t(opt.m().size());
  for (auto [name, dst] : {std::pair{"adamw.m", &opt.m()}, std::pair{"adamw.v", &opt.v()}}) {
    const TensorView& v = get(ost, name, {n});
    require(v.dtype == DType::F32, op + ": tensor '" + std::string(name) + "' must be F32");
    std::memcpy(dst->data(), v.data, size_t(n) * 4);
  }
  opt.set_steps(std::stoll(ost.metadata().at("r1.adamw_steps")));
  return state;
}

}  // namespace r1::train
