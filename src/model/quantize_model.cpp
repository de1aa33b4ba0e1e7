#include "model/quantize_model.h"

#include <set>

#include "core/error.h"
#include "quant/quantize.h"

namespace r1 {

namespace {

struct Planner {
  DType type;
  std::vector<QuantTarget> out;
  std::set<const Weight*> seen;
  void add(Weight& w, DType t) {
    if (!w.empty() && seen.insert(&w).second) out.push_back({&w, t});
  }
  void mlp(MLPWeights& m) {
    add(m.w1, type);
    add(m.w2, type);
    add(m.w3, type);
  }
  void block(BlockWeights& b) {
    MLAWeights& a = b.attn;
    for (Weight* w : {&a.wq, &a.wq_a, &a.wq_b, &a.wkv_a, &a.wkv_b, &a.wo}) add(*w, type);
    GQAWeights& g = b.gqa;  // the R1-Distill families (biases stay f32)
    for (Weight* w : {&g.wq, &g.wk, &g.wv, &g.wo}) add(*w, type);
    if (!b.is_moe) return mlp(b.mlp);
    for (MLPWeights& e : b.moe.experts) mlp(e);
    mlp(b.moe.shared_experts);  // b.moe.gate (the router) stays as stored
  }
  void head(Weight& h, const Weight& embed) {
    if (h.data != embed.data) add(h, DType::Q8);  // tied to the embedding: kept
  }
};

}  // namespace

std::vector<QuantTarget> quant_plan(ModelWeights& m, DType type) {
  require(is_block_quant(type), std::string("quantization type must be q8 or q4, not ") + dtype_tag(type));
  Planner p{type, {}, {}};
  for (BlockWeights& b : m.layers) p.block(b);
  p.head(m.head, m.embed);
  for (MTPWeights& t : m.mtp) {
    p.add(t.eh_proj, type);
    p.block(t.block);
    p.head(t.head, t.embed);
  }
  return p.out;
}

void quantize_model_weights(ModelWeights& m, DType type) {
  for (const QuantTarget& t : quant_plan(m, type))
    if (t.weight->dtype != t.type) *t.weight = quantize_weight(*t.weight, t.type);
}

}  // namespace r1
