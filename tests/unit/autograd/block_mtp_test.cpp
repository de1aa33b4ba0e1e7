// Gradient checks of one decoder block (dense and MoE) and of the MTP module with every input: the previous
// depth's hidden state, the shared embedding and output head, and the gradient arriving from a next depth.
#include <gtest/gtest.h>

#include "autograd/block.h"
#include "autograd/mtp.h"
#include "gradcheck.h"
#include "test_configs.h"

namespace r1::ag {
namespace {

using test::check_grad;
using test::random_vec;
using test::Spec;
using V = std::vector<double>;

// Specs for a block's tensors (MoE or dense), binding p and g.
void block_specs(const ModelConfig& c, bool moe, BlockParams<double>& p, BlockParams<double>& g,
                 std::vector<Spec>& specs, const std::string& pre) {
  const int64_t D = c.dim, H = c.n_heads, qk = c.qk_head_dim();
  specs.push_back({pre + "attn_norm", D, 0.3, 1.0, &p.attn_norm, &g.attn_norm});
  specs.push_back({pre + "ffn_norm", D, 0.3, 1.0, &p.ffn_norm, &g.ffn_norm});
  specs.push_back({pre + "wq_a", c.q_lora_rank * D, 0.5, 0.0, &p.attn.wq_a, &g.attn.wq_a});
  specs.push_back({pre + "q_norm", c.q_lora_rank, 0.3, 1.0, &p.attn.q_norm, &g.attn.q_norm});
  specs.push_back({pre + "wq_b", H * qk * c.q_lora_rank, 0.5, 0.0, &p.attn.wq_b, &g.attn.wq_b});
  specs.push_back({pre + "wkv_a", (c.kv_lora_rank + c.qk_rope_head_dim) * D, 0.5, 0.0, &p.attn.wkv_a, &g.attn.wkv_a});
  specs.push_back({pre + "kv_norm", c.kv_lora_rank, 0.3, 1.0, &p.attn.kv_norm, &g.attn.kv_norm});
  specs.push_back({pre + "wkv_b", H * (c.qk_nope_head_dim + c.v_head_dim) * c.kv_lora_rank, 0.5, 0.0, &p.attn.wkv_b,
                   &g.attn.wkv_b});
  specs.push_back({pre + "wo", D * H * c.v_head_dim, 0.5, 0.0, &p.attn.wo, &g.attn.wo});
  p.is_moe = g.is_moe = moe;
  auto mlp = [&](const std::string& n, MLPParams<double>& mp, MLPParams<double>& mg, int64_t I) {
    mp.inter = mg.inter = I;
    specs.push_back({n + "w1", I * D, 0.5, 0.0, &mp.w1, &mg.w1});
    specs.push_back({n + "w2", D * I, 0.5, 0.0, &mp.w2, &mg.w2});
    specs.push_back({n + "w3", I * D, 0.5, 0.0, &mp.w3, &mg.w3});
  };
  if (!moe) {
    mlp(pre + "mlp.", p.mlp, g.mlp, c.inter_dim);
    return;
  }
  specs.push_back({pre + "gate", c.n_routed_experts * D, 0.6, 0.0, &p.moe.gate, &g.moe.gate});
  p.moe.experts.resize(size_t(c.n_routed_experts));
  g.moe.experts.resize(size_t(c.n_routed_experts));
  for (int64_t e = 0; e < c.n_routed_experts; ++e)
    mlp(pre + "experts." + std::to_string(e) + ".", p.moe.experts[size_t(e)], g.moe.experts[size_t(e)],
        c.moe_inter_dim);
  mlp(pre + "shared.", p.moe.shared, g.moe.shared, c.n_shared_experts * c.moe_inter_dim);
}

bool is_expert(const std::string& name) { return name.find("experts.") != std::string::npos; }

TEST(AutogradBlock, DenseAndMoEBlockGradients) {
  const ModelConfig c = test::tiny_config(true, test::Router::SigmoidNoauxTc);
  for (bool moe : {false, true}) {
    const int64_t B = 2, S = 4, D = c.dim;
    Rng rng(moe ? 51 : 52);
    BlockParams<double> p, g;
    std::vector<Spec> specs;
    block_specs(c, moe, p, g, specs, moe ? "block(moe)." : "block(dense).");
    std::vector<test::Tensor> ts = test::make_tensors(rng, specs);
    V bias = random_vec(rng, c.n_routed_experts, 0.2);
    if (moe) p.moe.bias = bias.data();
    V h = random_vec(rng, B * S * D, 1.0), r = random_vec(rng, B * S * D, 1.0);
    const RopeTable<double> rope = rope_table<double>(c, S);
    BlockActs<double> acts;
    auto loss = [&] {
      block_forward(c, rope, p, acts, h.data(), B, S);
      return test::weighted_sum(acts.out, r);
    };
    loss();
    V dh(h.size(), 0.0);
    block_backward(c, rope, p, g, acts, h.data(), B, S, r.data(), dh.data());
    check_grad(moe ? "block(moe).h" : "block(dense).h", h.data(), dh.data(), int64_t(h.size()), loss);
    for (auto& t : ts) check_grad(t.name, t.value.data(), t.grad.data(), int64_t(t.value.size()), loss, {}, is_expert(t.name));
  }
}

TEST(AutogradMTP, AllInputsAndParameters) {
  const ModelConfig c = test::tiny_config(true, test::Router::SigmoidNoauxTc);
  const int64_t B = 2, S = 4, D = c.dim, Vc = c.vocab_size;
  Rng rng(53);
  MTPParams<double> p, g;
  std::vector<Spec> specs;
  specs.push_back({"mtp.enorm", D, 0.3, 1.0, &p.enorm, &g.enorm});
  specs.push_back({"mtp.hnorm", D, 0.3, 1.0, &p.hnorm, &g.hnorm});
  specs.push_back({"mtp.eh_proj", D * 2 * D, 0.4, 0.0, &p.eh_proj, &g.eh_proj});
  specs.push_back({"mtp.norm", D, 0.3, 1.0, &p.norm, &g.norm});
  double *embed = nullptr, *dembed = nullptr, *head = nullptr, *dhead = nullptr;
  specs.push_back({"mtp.embed(shared)", Vc * D, 1.0, 0.0, &embed, &dembed});
  specs.push_back({"mtp.head(shared)", Vc * D, 0.5, 0.0, &head, &dhead});
  block_specs(c, true, p.block, g.block, specs, "mtp.block.");
  std::vector<test::Tensor> ts = test::make_tensors(rng, specs);
  V bias = random_vec(rng, c.n_routed_experts, 0.2);
  p.block.moe.bias = bias.data();
  V h = random_vec(rng, B * S * D, 1.0), rl = random_vec(rng, B * S * Vc, 1.0), ro = random_vec(rng, B * S * D, 1.0);
  const std::vector<int32_t> next = {3, 0, 10, 3, 7, 7, 1, 2};
  const RopeTable<double> rope = rope_table<double>(c, S);
  MTPActs<double> acts;
  // L = <logits, rl> + <h^k, ro>: the second term stands for a next MTP depth reading h^k.
  auto loss = [&] {
    mtp_forward(c, rope, p, embed, head, acts, h.data(), next.data(), B, S);
    return test::weighted_sum(acts.logits, rl) + test::weighted_sum(acts.out, ro);
  };
  loss();
  V dh(h.size(), 0.0);
  mtp_backward(c, rope, p, g, embed, head, dembed, dhead, acts, h.data(), next.data(), B, S, rl.data(), ro.data(),
               dh.data());
  check_grad("mtp.h", h.data(), dh.data(), int64_t(h.size()), loss);
  for (auto& t : ts) check_grad(t.name, t.value.data(), t.grad.data(), int64_t(t.value.size()), loss, {}, is_expert(t.name));
}

// The concat order of inference (src/model/weights.h MTPWeights): eh_proj reads [enorm(emb) | hnorm(h)].
// With eh_proj = [I | 0] the block's input must be enorm(Emb(next)), whatever h is.
TEST(AutogradMTP, ConcatOrderIsEmbeddingThenHidden) {
  const ModelConfig c = test::tiny_config(true);
  const int64_t D = c.dim;
  Rng rng(54);
  MTPParams<double> p, g;
  std::vector<Spec> specs;
  block_specs(c, true, p.block, g.block, specs, "");
  std::vector<test::Tensor> ts = test::make_tensors(rng, specs);
  V bias(static_cast<size_t>(c.n_routed_experts), 0.0);
  p.block.moe.bias = bias.data();
  V enorm(static_cast<size_t>(D), 1.0), hnorm(static_cast<size_t>(D), 1.0), norm(static_cast<size_t>(D), 1.0);
  V eh(size_t(D * 2 * D), 0.0);
  for (int64_t o = 0; o < D; ++o) eh[size_t(o * 2 * D + o)] = 1.0;
  p.enorm = enorm.data();
  p.hnorm = hnorm.data();
  p.norm = norm.data();
  p.eh_proj = eh.data();
  V embed = random_vec(rng, c.vocab_size * D, 1.0), h = random_vec(rng, D, 1.0);
  const std::vector<int32_t> next = {5};
  MTPActs<double> acts;
  mtp_forward(c, rope_table<double>(c, 1), p, embed.data(), embed.data(), acts, h.data(), next.data(), 1, 1);
  double ss = 0.0;
  for (int64_t d = 0; d < D; ++d) ss += embed[size_t(5 * D + d)] * embed[size_t(5 * D + d)];
  const double r = 1.0 / std::sqrt(ss / double(D) + double(c.rms_norm_eps));
  for (int64_t d = 0; d < D; ++d) EXPECT_NEAR(acts.hp[size_t(d)], embed[size_t(5 * D + d)] * r, 1e-12);
}

}  // namespace
}  // namespace r1::ag
