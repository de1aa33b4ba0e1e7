// r1 quant-eval: how far a quantized model's next-token distributions are from the model as stored.
// Fixed prompt set: P prompts of N random token ids (Rng(seed)), fed one token at a time (decode path, the
// one that uses the int8 kernels) or as one prefill pass (--prefill, the dequantize + sgemm path). At every
// position: KL(p_ref || p_quant) in nats, top-1 agreement, and the relative logit error
// ||l_quant - l_ref||_2 / ||l_ref||_2. Prints a markdown row per type (or JSON lines with --json).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

#include "cli/commands.h"
#include "core/error.h"
#include "core/rng.h"
#include "model/quantize_model.h"
#include "quant/quantize.h"
#include "runtime/kv_cache.h"

namespace r1::cli {

namespace {

struct Stats {
  double kl = 0, kl_max = 0, rel = 0, rel_max = 0, agree = 0, entropy = 0;
  int64_t n = 0;
  void add(const float* ref, const float* q, int64_t V) {
    const auto logsumexp = [V](const float* l) {
      double m = -INFINITY, s = 0.0;
      for (int64_t v = 0; v < V; ++v) m = std::max(m, double(l[v]));
      for (int64_t v = 0; v < V; ++v) s += std::exp(double(l[v]) - m);
      return m + std::log(s);
    };
    const double lr = logsumexp(ref), lq = logsumexp(q);
    double kl = 0.0, h = 0.0, d2 = 0.0, r2 = 0.0;
    for (int64_t v = 0; v < V; ++v) {
      const double a = double(ref[v]) - lr, b = double(q[v]) - lq;  // log-probabilities
      kl += std::exp(a) * (a - b);
      h -= std::exp(a) * a;
      d2 += (double(q[v]) - ref[v]) * (double(q[v]) - ref[v]);
      r2 += double(ref[v]) * ref[v];
    }
    const double rel = std::sqrt(d2 / std::max(r2, 1e-300));
    kl = std::max(kl, 0.0);
    this->kl += kl;
    kl_max = std::max(kl_max, kl);
    this->rel += rel;
    rel_max = std::max(rel_max, rel);
    entropy += h;
    agree += (std::max_element(ref, ref + V) - ref) == (std::max_element(q, q + V) - q) ? 1.0 : 0.0;
    ++n;
  }
};

int64_t linear_bytes(const Model& m) {
  ModelWeights w = m.weights();  // a copy of the views, for the plan's enumeration
  int64_t b = 0;
  for (const QuantTarget& t : quant_plan(w, DType::Q8)) b += t.weight->nbytes();
  return b;
}

}  // namespace

Action add_quant_eval(CLI::App& app) {
  auto* cmd = app.add_subcommand("quant-eval", "KL divergence, top-1 agreement and logit error of q8/q4 against the stored model");
  struct Opts {
    std::string model;
    std::vector<std::string> types{"q8", "q4"};
    int64_t prompts = 16, positions = 64;
    uint64_t seed = 1;
    int threads = 0;
    bool prefill = false, json = false;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--model", o->model, "Hugging Face model folder (the reference, as stored)")->required();
  cmd->add_option("--type", o->types, "Quantization types to evaluate (q8, q4)")->delimiter(',');
  cmd->add_option("--prompts", o->prompts, "Number of prompts")->default_val(16);
  cmd->add_option("--positions", o->positions, "Tokens per prompt (positions evaluated)")->default_val(64);
  cmd->add_option("--seed", o->seed, "Seed of the random prompt token ids")->default_val(1);
  cmd->add_flag("--prefill", o->prefill, "Evaluate one prefill pass per prompt instead of token-by-token decode");
  cmd->add_flag("--json", o->json, "Print JSON lines");
  cmd->add_option("-t,--threads", o->threads, "Threads (0: all cores)")->default_val(0);
  return [o]() {
    set_threads(o->threads);
    require(o->prompts > 0 && o->positions > 0, "--prompts and --positions must be positive");
    const Model ref(o->model);
    const ModelConfig& c = ref.config();
    const int64_t V = c.vocab_size, N = o->positions;
    require(N <= c.max_seq_len, "--positions exceeds the model's context");
    Rng rng(o->seed);
    std::vector<std::vector<int32_t>> prompts(size_t(o->prompts), std::vector<int32_t>(size_t(N)));
    for (auto& p : prompts)
      for (auto& t : p) t = int32_t(rng.next() % uint64_t(V));
    // Logits of every position of every prompt: (prompts, N, V).
    auto all_logits = [&](const Model& m) {
      std::vector<float> out(size_t(o->prompts * N * V));
      for (int64_t i = 0; i < o->prompts; ++i) {
        LatentKVCache cache(c, N);
        float* L = &out[size_t(i * N * V)];
        const int32_t* toks = prompts[size_t(i)].data();
        if (o->prefill) {
          m.forward(toks, N, 0, cache, nullptr, AttnMode::Auto, L);
        } else {
          for (int64_t t = 0; t < N; ++t) m.decode(toks[t], t, cache, L + t * V);
        }
      }
      return out;
    };
    const std::vector<float> lref = all_logits(ref);
    if (!o->json) {
      std::printf("model %s, %lld prompts x %lld positions (random token ids, seed %llu), %s; reference weights %s, "
                  "%.1f MB of linear weights\n\n",
                  o->model.c_str(), (long long)o->prompts, (long long)N, (unsigned long long)o->seed,
                  o->prefill ? "prefill" : "decode", dtype_tag(ref.weights().layers[0].attn.wkv_a.dtype),
                  double(linear_bytes(ref)) / 1e6);
      std::printf("| type | linear weights MB | mean KL (nats) | max KL | top-1 agreement | rel. logit error (mean / max) | ref. entropy (nats) |\n");
      std::printf("|---|---|---|---|---|---|---|\n");
    }
    for (const std::string& name : o->types) {
      DType t;
      if (!quant_type_from_name(name, &t)) throw Error("--type must be q8 or q4, got '" + name + "'");
      ModelLoadOptions lo;
      lo.quant = t;
      const Model qm(o->model, lo);
      const std::vector<float> lq = all_logits(qm);
      Stats s;
      for (int64_t k = 0; k < o->prompts * N; ++k) s.add(&lref[size_t(k * V)], &lq[size_t(k * V)], V);
      const double n = double(s.n);
      if (o->json)
        std::printf("{\"type\":\"%s\",\"linear_bytes\":%lld,\"kl_mean\":%.6g,\"kl_max\":%.6g,\"top1\":%.6g,\"rel_logit_err\":%.6g,"
                    "\"rel_logit_err_max\":%.6g,\"ref_entropy\":%.6g,\"positions\":%lld}\n",
                    name.c_str(), (long long)linear_bytes(qm), s.kl / n, s.kl_max, s.agree / n, s.rel / n, s.rel_max,
                    s.entropy / n, (long long)s.n);
      else
        std::printf("| %s | %.1f | %.3g | %.3g | %.2f %% | %.4f / %.4f | %.3f |\n", name.c_str(), double(linear_bytes(qm)) / 1e6,
                    s.kl / n, s.kl_max, 100.0 * s.agree / n, s.rel / n, s.rel_max, s.entropy / n);
      std::fflush(stdout);
    }
    return 0;
  };
}

}  // namespace r1::cli
