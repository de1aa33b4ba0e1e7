// Gradient checks of causal MLA (naive form) with and without q-LoRA, with and without YaRN.
#include <gtest/gtest.h>

#include "autograd/attention_mla.h"
#include "gradcheck.h"
#include "test_configs.h"

namespace r1::ag {
namespace {

using test::check_grad;
using test::random_vec;
using V = std::vector<double>;
using test::Spec;
using test::Tensor;
using test::make_tensors;

void run_mla_check(bool q_lora, bool yarn) {
  const ModelConfig c = test::tiny_config(q_lora, test::Router::SigmoidNoauxTc, yarn);
  const int64_t B = 2, S = 5, D = c.dim, H = c.n_heads, qk = c.qk_head_dim();
  const int64_t kvr = c.kv_lora_rank, rp = c.qk_rope_head_dim, nope = c.qk_nope_head_dim, dv = c.v_head_dim;
  Rng rng(q_lora ? 11 : 12);
  MLAParams<double> p, g;
  std::vector<Spec> specs;
  if (q_lora) {
    specs.push_back({"wq_a", c.q_lora_rank * D, 0.5, 0.0, &p.wq_a, &g.wq_a});
    specs.push_back({"q_norm", c.q_lora_rank, 0.5, 1.0, &p.q_norm, &g.q_norm});
    specs.push_back({"wq_b", H * qk * c.q_lora_rank, 0.5, 0.0, &p.wq_b, &g.wq_b});
  } else {
    specs.push_back({"wq", H * qk * D, 0.5, 0.0, &p.wq, &g.wq});
  }
  specs.push_back({"wkv_a", (kvr + rp) * D, 0.5, 0.0, &p.wkv_a, &g.wkv_a});
  specs.push_back({"kv_norm", kvr, 0.5, 1.0, &p.kv_norm, &g.kv_norm});
  specs.push_back({"wkv_b", H * (nope + dv) * kvr, 0.5, 0.0, &p.wkv_b, &g.wkv_b});
  specs.push_back({"wo", D * H * dv, 0.5, 0.0, &p.wo, &g.wo});
  std::vector<Tensor> ts = make_tensors(rng, specs);
  V x = random_vec(rng, B * S * D, 1.0), r = random_vec(rng, B * S * D, 1.0), out(size_t(B * S * D));
  const RopeTable<double> rope = rope_table<double>(c, S);
  MLAActs<double> acts;
  auto loss = [&] {
    mla_forward(c, rope, p, acts, x.data(), B, S, out.data());
    return test::weighted_sum(out, r);
  };
  loss();
  V dx(x.size(), 0.0);
  mla_backward(c, rope, p, g, acts, x.data(), B, S, r.data(), dx.data());
  const std::string tag = std::string("mla") + (q_lora ? "(q_lora" : "(no q_lora") + (yarn ? ", yarn)." : ").");
  check_grad(tag + "x", x.data(), dx.data(), int64_t(x.size()), loss);
  for (auto& t : ts) check_grad(tag + t.name, t.value.data(), t.grad.data(), int64_t(t.value.size()), loss);
}

TEST(AutogradMLA, QLoraYarn) { run_mla_check(true, true); }
TEST(AutogradMLA, NoQLoraYarn) { run_mla_check(false, true); }
TEST(AutogradMLA, QLoraPlainRope) { run_mla_check(true, false); }

TEST(AutogradMLA, LaterTokensDoNotChangeEarlierOutputs) {
  const ModelConfig c = test::tiny_config(false);
  const int64_t S = 4, D = c.dim;
  Rng rng(13);
  V wq = random_vec(rng, c.n_heads * c.qk_head_dim() * D, 0.5), wkv_a = random_vec(rng, (c.kv_lora_rank + c.qk_rope_head_dim) * D, 0.5);
  V kv_norm(static_cast<size_t>(c.kv_lora_rank), 1.0), wkv_b = random_vec(rng, c.n_heads * (c.qk_nope_head_dim + c.v_head_dim) * c.kv_lora_rank, 0.5);
  V wo = random_vec(rng, D * c.n_heads * c.v_head_dim, 0.5);
  MLAParams<double> p;
  p.wq = wq.data();
  p.wkv_a = wkv_a.data();
  p.kv_norm = kv_norm.data();
  p.wkv_b = wkv_b.data();
  p.wo = wo.data();
  V x = random_vec(rng, S * D, 1.0), y1(size_t(S * D)), y2(size_t(S * D));
  const RopeTable<double> rope = rope_table<double>(c, S);
  MLAActs<double> acts;
  mla_forward(c, rope, p, acts, x.data(), 1, S, y1.data());
  for (int64_t i = (S - 1) * D; i < S * D; ++i) x[size_t(i)] += 1.0;  // change the last token only
  mla_forward(c, rope, p, acts, x.data(), 1, S, y2.data());
  for (int64_t i = 0; i < (S - 1) * D; ++i) EXPECT_EQ(y1[size_t(i)], y2[size_t(i)]);
  double diff = 0.0;
  for (int64_t i = (S - 1) * D; i < S * D; ++i) diff += std::fabs(y1[size_t(i)] - y2[size_t(i)]);
  EXPECT_GT(diff, 1e-3);
}

}  // namespace
}  // namespace r1::ag
