// Which of the model's weights r1 quantizes, and to what (one policy for `r1 quantize` and `--quant`):
//   - every linear weight of the decoder blocks (attention wq / wq_a / wq_b / wkv_a / wkv_b / wo, dense and
//     expert w1 / w2 / w3, shared experts) and of the MTP modules (eh_proj and their block) -> `type`;
//   - the output heads (main and MTP) -> q8 even for q4: one matrix, read once per token, whose errors go
//     straight into the logits;
//   - kept as stored: token embeddings (a lookup of one row per token: quantizing saves memory, not decode
//     time), the MoE router `gate` (small; routing decisions are discrete), norms and biases (vectors).
//     With tie_word_embeddings the head is the embedding and is kept too.
#pragma once

#include <vector>

#include "model/weights.h"

namespace r1 {

struct QuantTarget {
  Weight* weight;
  DType type;  // Q8 or Q4
};

// The weights of `m` the policy above quantizes to `type` (Q8 or Q4), each once.
std::vector<QuantTarget> quant_plan(ModelWeights& m, DType type);

// Applies the plan in place: every planned weight is replaced by a quantized copy it owns. A weight already
// in the target format is left as is.
void quantize_model_weights(ModelWeights& m, DType type);

}  // namespace r1
