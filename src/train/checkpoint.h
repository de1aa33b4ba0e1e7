// Training checkpoints in the layout r1 serves: OUT/ is an ordinary Hugging Face folder (config.json,
// model.safetensors, tokenizer files) that `r1 generate --model OUT` runs unchanged, plus the optimizer state
// beside it (optimizer.safetensors: AdamW's moments) and trainer_state.json (step, options, loader position).
//
// Every file is written atomically (temp + rename), trainer_state.json last. model.safetensors and
// optimizer.safetensors carry the step in their __metadata__; a resume checks the three agree, so a save
// interrupted between files is reported, never silently mixed.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "autograd/param_set.h"
#include "core/dtype.h"
#include "train/adamw.h"

namespace r1::train {

// Writes OUT/model.safetensors (weights in `dtype`: F32 or BF16; the MTP modules' copies of the embedding and
// output head written out as the published checkpoints store them) and OUT/config.json.
void save_model(const ag::ParamSet<float>& ps, const std::string& config_json, const std::string& dir, DType dtype,
                int64_t step);
void save_optimizer(AdamW& opt, const std::string& dir, int64_t step);
void save_state(const nlohmann::json& state, const std::string& dir);  // must hold "step"

// Reads everything back for --resume: the parameters (f32 checkpoints only: a bf16 save is not resumable
// bit-exactly and is refused), the moments, and the state. Errors name the file and what disagrees.
nlohmann::json load_training_checkpoint(const std::string& dir, ag::ParamSet<float>& ps, AdamW& opt);

}  // namespace r1::train
