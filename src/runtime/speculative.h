// generate() with self-speculative decoding by the checkpoint's MTP module (runtime/spec_decoder.h): the
// same tokens as plain greedy decoding at temperature 0, the same distribution when sampling.
#pragma once

#include <functional>
#include <vector>

#include "model/transformer.h"
#include "runtime/generate.h"
#include "runtime/spec_decoder.h"

namespace r1 {

GenerateResult generate_mtp(const Model& m, const std::vector<int32_t>& prompt, const GenerateParams& p,
                            const std::function<bool(int32_t)>& on_token = {}, SpecStats* stats = nullptr);

}  // namespace r1
