// Self-speculative decoding with the MTP module: greedy output identical to plain decoding, on the golden
// tiny-v3 checkpoint (random MTP module: drafts mostly rejected) and on the embedded r1-zero-arith (trained
// MTP module: most drafts accepted); sampled output distributed as plain sampling's.
#include "runtime/speculative.h"

#include <gtest/gtest.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "model/init_checkpoint.h"
#include "rl/rollout.h"
#include "runtime/kv_cache.h"
#include "tasks/registry.h"
#include "tasks/split.h"
#include "testutil.h"
#include "tokenizer/tokenizer.h"

namespace r1 {
namespace {

GenerateParams greedy(int64_t n) {
  GenerateParams g;
  g.max_tokens = n;
  g.ignore_eos = true;
  return g;
}

TEST(SpeculativeMTP, GreedyEqualsPlainOnTheGoldenPrompts) {
  for (const size_t variant : {size_t(2), size_t(3)}) {  // V3-like with an MTP layer: BF16, and FP8 in 2 shards
    test::TempDir dir;
    const test::Variant v = test::golden_variants()[variant];
    InitOptions o = v.init;
    o.out = dir.path();
    init_checkpoint(o);
    const Model m(dir.path());
    ASSERT_TRUE(m.has_mtp());
    for (const std::string prompt : {"short", "long"}) {
      const auto g =
          nlohmann::json::parse(test::read_text(std::string(R1_GOLDEN_DIR) + "/" + v.name + "_" + prompt + ".json"));
      const auto toks = g["tokens"].get<std::vector<int32_t>>();
      SpecStats st;
      const auto spec = generate_mtp(m, toks, greedy(16), {}, &st);
      EXPECT_EQ(spec.tokens, generate(m, toks, greedy(16)).tokens) << v.name << " " << prompt;
      EXPECT_EQ(spec.tokens, g["greedy"].get<std::vector<int32_t>>()) << v.name << " " << prompt;  // the reference's
      EXPECT_GT(st.drafted, 0);
    }
  }
}

TEST(SpeculativeMTP, TrainedModuleIsAcceptedAndOutputUnchanged) {
  const std::string dir = std::string(R1_GOLDEN_DIR) + "/../../models/r1-zero-arith";
  const Model m(dir);
  const tok::Tokenizer t(dir);
  const auto task = tasks::make_task("arithmetic", tasks::parse_task_options("ops=+-,min_operand=10,max_operand=99,compact=1"));
  SpecStats total;
  for (const auto& p : tasks::make_problem_set(*task, tasks::Split::test, 20, 5)) {
    const auto prompt = rl::prompt_ids(t, p);
    GenerateParams g = greedy(40);
    g.ignore_eos = false;
    SpecStats st;
    EXPECT_EQ(generate_mtp(m, prompt, g, {}, &st).tokens, generate(m, prompt, g).tokens) << p.prompt;
    total.drafted += st.drafted, total.accepted += st.accepted, total.steps += st.steps;
  }
  std::printf("r1-zero-arith: %lld of %lld MTP drafts accepted (%.1f %%)\n", (long long)total.accepted,
              (long long)total.drafted, 100.0 * total.acceptance());
  EXPECT_GT(total.acceptance(), 0.3);  // a trained module predicts the next-next token often
}

// Speculative sampling must not change the distribution of what is generated. Three tokens are sampled
// (temperature 2.5, top-k 4) from r1-zero-arith, whose trained MTP module drafts well but, at this
// temperature, not always, so the acceptance test and the residual draw both run often. The exact distribution of the 3-token
// continuations is computed from the main model alone (1 + 4 + 16 forward passes); a chi-square goodness-of-fit
// test (cells with expected count >= 5, the rest pooled) must not reject it at the 0.1 % level, for speculative
// and, as a control, for plain sampling. Seeds are fixed, so the test is deterministic.
double chi2_critical_001(int df) {  // Wilson-Hilferty approximation of the 99.9 % quantile
  const double z = 3.0902, a = 2.0 / (9.0 * df);
  return df * std::pow(1.0 - a + z * std::sqrt(a), 3.0);
}

TEST(SpeculativeMTP, SampledOutputFollowsThePlainDistribution) {
  // 6,000 generations with a 1 M-parameter model: one thread (OpenMP's barriers only cost here, and far more
  // when ctest runs another test on the other core).
  const int threads = omp_get_max_threads();
  omp_set_num_threads(1);
  const std::string dir = std::string(R1_GOLDEN_DIR) + "/../../models/r1-zero-arith";
  const Model m(dir);
  const tok::Tokenizer t(dir);
  const int64_t V = m.config().vocab_size;
  const auto task = tasks::make_task("arithmetic", tasks::parse_task_options("ops=+-,min_operand=10,max_operand=99,compact=1"));
  GenerateParams g = greedy(3);
  g.sampler.temperature = 2.5f;
  g.sampler.top_k = 4;
  g.sampler.top_p = 1.0f;
  const Sampler dist_of(g.sampler);
  auto next_dist = [&](const std::vector<int32_t>& toks) {
    LatentKVCache cache(m.config(), int64_t(toks.size()));
    std::vector<float> logits(static_cast<size_t>(V));
    m.forward(toks.data(), int64_t(toks.size()), 0, cache, logits.data());
    std::vector<double> p;
    dist_of.distribution(logits.data(), V, p);
    return p;
  };
  // The prompt is a held-out problem plus the start of the model's greedy reasoning, up to the first place
  // where the next token is uncertain (no token above 0.9).
  std::vector<int32_t> prompt = rl::prompt_ids(t, tasks::make_problem_set(*task, tasks::Split::test, 1, 7)[0]);
  const auto reasoning = generate(m, prompt, greedy(12)).tokens;
  std::vector<double> p1 = next_dist(prompt);
  for (size_t k = 0; *std::max_element(p1.begin(), p1.end()) > 0.9 && k < reasoning.size(); ++k) {
    prompt.push_back(reasoning[k]);
    p1 = next_dist(prompt);
  }
  // Exact probabilities of every continuation (a, b, c).
  std::map<std::vector<int32_t>, double> exact;
  for (int32_t a = 0; a < V; ++a) {
    if (p1[size_t(a)] == 0.0) continue;
    auto pa = prompt;
    pa.push_back(a);
    const auto p2 = next_dist(pa);
    for (int32_t b = 0; b < V; ++b) {
      if (p2[size_t(b)] == 0.0) continue;
      auto pb = pa;
      pb.push_back(b);
      const auto p3 = next_dist(pb);
      for (int32_t c = 0; c < V; ++c)
        if (p3[size_t(c)] > 0.0) exact[{a, b, c}] = p1[size_t(a)] * p2[size_t(b)] * p3[size_t(c)];
    }
  }
  const int N = 3000;
  auto chi2 = [&](const std::map<std::vector<int32_t>, int>& seen, int* df) {
    double stat = 0.0, pooled_e = 0.0;
    int pooled_o = 0, cells = 0, known = 0;
    for (const auto& [k, pr] : exact) {
      const double e = pr * N;
      const auto it = seen.find(k);
      const int obs = it == seen.end() ? 0 : it->second;
      known += obs;
      if (e >= 5.0) {
        stat += (obs - e) * (obs - e) / e;
        ++cells;
      } else {
        pooled_e += e, pooled_o += obs;
      }
    }
    EXPECT_EQ(known, N) << "a continuation with probability 0 was generated";
    if (pooled_e > 0.0) stat += (pooled_o - pooled_e) * (pooled_o - pooled_e) / pooled_e, ++cells;
    *df = cells - 1;
    return stat;
  };
  std::map<std::vector<int32_t>, int> plain, spec;
  SpecStats total;
  for (int seed = 0; seed < N; ++seed) {
    g.sampler.seed = uint64_t(seed) + 1;
    ++plain[generate(m, prompt, g).tokens];
    SpecStats st;
    ++spec[generate_mtp(m, prompt, g, {}, &st).tokens];
    total.add(st);
  }
  int df_plain = 0, df_spec = 0;
  const double x_plain = chi2(plain, &df_plain), x_spec = chi2(spec, &df_spec);
  std::printf("%zu continuations; chi-square plain %.1f, speculative %.1f (df %d, 0.1 %% critical %.1f); "
              "%lld of %lld drafts accepted\n", exact.size(), x_plain, x_spec, df_spec, chi2_critical_001(df_spec),
              (long long)total.accepted, (long long)total.drafted);
  ASSERT_GE(df_spec, 5);
  EXPECT_LT(x_plain, chi2_critical_001(df_plain));
  EXPECT_LT(x_spec, chi2_critical_001(df_spec));
  // Both branches of the rule ran many times.
  EXPECT_GT(total.accepted, N / 10);
  EXPECT_GT(total.drafted - total.accepted, N / 10);
  omp_set_num_threads(threads);
}

}  // namespace
}  // namespace r1
