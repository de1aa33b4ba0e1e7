// r1 bench: prompt processing and decode speed with llama-bench's definitions:
//   pp N: one forward pass over N prompt tokens (from an empty cache), tokens/s = N / time;
//   tg N: N tokens decoded one at a time from an empty cache, tokens/s = N / time.
// With -d D both start after D tokens already in the cache (llama-bench's depth), e.g. decode at long context.
// Each test is repeated; the median and the spread are printed (markdown, or JSON with --json).
// With --spec mtp two more decode tests run side by side: N tokens of greedy generation from a prompt (--prompt,
// or random tokens), plain and with MTP self-speculative decoding, with the acceptance rate.
// tg rows note the weight bytes one decode step reads per token and the read rate that implies; with
// --bandwidth the machine's read bandwidth is measured first (same threads) and tg rows give their % of it.
// --cache-type f32|bf16|fp8 chooses the latent cache's storage; the header (and each JSON line) gives its bytes per token.
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>

#include "cli/commands.h"
#include "core/error.h"
#include "core/rng.h"
#include "kernels/cpu/read_bandwidth.h"
#include "model/param_count.h"
#include "runtime/kv_cache.h"
#include "runtime/speculative.h"
#include "tokenizer/tokenizer.h"

namespace r1::cli {

Action add_bench(CLI::App& app) {
  auto* cmd = app.add_subcommand("bench", "Prompt-processing (pp) and decode (tg) tokens/s, llama-bench style");
  struct Opts {
    std::string model, prompt;
    ModelLoadOptions load;
    int64_t p = 512, n = 128, depth = 0;
    int threads = 0, reps = 3;
    bool json = false, spec = false, bandwidth = false;
    DType cache_type = DType::F32;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--model", o->model, "Hugging Face model folder")->required();
  cmd->add_option("-p,--n-prompt", o->p, "Prompt tokens for the pp test (0: skip)")->default_val(512);
  cmd->add_option("-n,--n-gen", o->n, "Generated tokens for the tg test (0: skip)")->default_val(128);
  cmd->add_option("-d,--depth", o->depth, "Context already in the cache when a test starts (llama-bench's -d)")->default_val(0);
  cmd->add_option("-t,--threads", o->threads, "Threads (0: all cores)")->default_val(0);
  cmd->add_option("-r,--repetitions", o->reps, "Repetitions of each test")->default_val(3);
  cmd->add_flag("--json", o->json, "Print JSON lines instead of a table");
  cmd->add_flag("--bandwidth", o->bandwidth,
                "Measure the memory read bandwidth (1 GiB, same threads) and give tg as a % of that bound");
  add_load_options(cmd, &o->load);
  add_spec_option(cmd, &o->spec);
  add_cache_type_option(cmd, &o->cache_type);
  cmd->add_option("--prompt", o->prompt, "With --spec: the prompt text the greedy decode tests start from");
  return [o]() {
    set_threads(o->threads);
    const Model m(o->model, o->load);
    const ModelConfig& c = m.config();
    Rng rng(1234);
    auto random_tokens = [&](int64_t n) {
      std::vector<int32_t> t(static_cast<size_t>(n));
      for (auto& v : t) v = int32_t(rng.next() % uint64_t(c.vocab_size));
      return t;
    };
    std::vector<float> logits(static_cast<size_t>(c.vocab_size));
    using clock = std::chrono::steady_clock;
    const int threads = o->threads > 0 ? o->threads : omp_get_max_threads();
    const char* cache_name = cache_type_name(o->cache_type);
    const int64_t cache_bytes = cache_row_format(c, o->cache_type).bytes() * c.n_layers;  // main layers
    // json: extra "key":value fields for --json (starting with a comma)
    auto report = [&](const std::string& test, std::vector<double> tps, const std::string& note,
                      const std::string& json = "") {
      std::sort(tps.begin(), tps.end());
      const double med = tps[tps.size() / 2];
      double var = 0.0, mean = 0.0;
      for (double v : tps) mean += v / double(tps.size());
      for (double v : tps) var += (v - mean) * (v - mean) / double(tps.size());
      if (o->json)
        std::printf("{\"model\":\"%s\",\"test\":\"%s\",\"threads\":%d,\"tokens_per_second\":%.3f,\"stddev\":%.3f,"
                    "\"repetitions\":%d,\"cache_type\":\"%s\",\"cache_bytes_per_token\":%lld%s%s%s%s}\n",
                    o->model.c_str(), test.c_str(), threads, med, std::sqrt(var), o->reps, cache_name,
                    (long long)cache_bytes, note.empty() ? "" : ",\"note\":\"",
                    note.c_str(), note.empty() ? "" : "\"", json.c_str());
      else
        std::printf("| %s | %d | %s | %.2f ± %.2f | %s |\n", o->model.c_str(), threads, test.c_str(), med, std::sqrt(var),
                    note.c_str());
      std::fflush(stdout);
    };
    const double weight_gb = double(decode_weight_bytes(c, m.weights())) / 1e9;
    double read_gbs = 0.0;  // measured with --bandwidth
    auto run = [&](const char* name, int64_t n, bool prompt) {
      if (n <= 0) return;
      std::vector<double> tps;
      for (int r = 0; r < o->reps + 1; ++r) {  // the first run warms caches and page mappings; not counted
        const std::vector<int32_t> toks = random_tokens(n);
        LatentKVCache cache(c, o->depth + n, 0, o->cache_type);
        if (o->depth > 0) {  // the context the test starts from (not timed)
          const std::vector<int32_t> ctx = random_tokens(o->depth);
          m.forward(ctx.data(), o->depth, 0, cache, logits.data());
        }
        const int64_t p0 = o->depth;
        const auto t0 = clock::now();
        if (prompt) {
          m.forward(toks.data(), n, p0, cache, logits.data());
        } else {
          for (int64_t i = 0; i < n; ++i) m.decode(toks[size_t(i)], p0 + i, cache, logits.data());
        }
        const double s = std::chrono::duration<double>(clock::now() - t0).count();
        if (r > 0) tps.push_back(double(n) / s);
      }
      std::string note, json;
      if (!prompt) {  // decode: the weight bytes it streams per token, and the rate
        std::sort(tps.begin(), tps.end());
        const double gbs = tps[tps.size() / 2] * weight_gb;
        char buf[128];
        std::snprintf(buf, sizeof buf, "%.3f GB/token, %.1f GB/s", weight_gb, gbs);
        note = buf;
        std::snprintf(buf, sizeof buf, ",\"weight_gb_per_token\":%.6f,\"weight_gbs\":%.3f", weight_gb, gbs);
        json = buf;
        if (read_gbs > 0) {
          std::snprintf(buf, sizeof buf, ", %.0f %% of the read bound", 100.0 * gbs / read_gbs);
          note += buf;
        }
      }
      report(std::string(name) + std::to_string(n) + (o->depth > 0 ? " @ d" + std::to_string(o->depth) : ""), tps, note,
             json);
    };
    // Greedy generation of n tokens from the prompt, plain or speculative (decode time after the first token).
    std::vector<int32_t> gen_prompt;
    if (o->spec) {
      if (!o->prompt.empty()) {
        const tok::Tokenizer t(o->model);
        gen_prompt = t.encode(o->prompt, t.config().add_bos_token);
      } else {
        gen_prompt = random_tokens(16);
      }
    }
    auto run_gen = [&](int64_t n, bool spec) {
      std::vector<double> tps;
      SpecStats st;
      GenerateParams g;
      g.max_tokens = n;
      g.ignore_eos = true;
      g.cache_type = o->cache_type;
      for (int r = 0; r < o->reps + 1; ++r) {
        SpecStats one;
        const GenerateResult res = spec ? generate_mtp(m, gen_prompt, g, {}, &one) : generate(m, gen_prompt, g);
        if (r > 0) tps.push_back(double(res.tokens.size() - 1) / res.decode_seconds), st = one;
      }
      char extra[96] = "";
      if (spec) std::snprintf(extra, sizeof extra, "%.1f %% of drafts accepted", 100.0 * st.acceptance());
      report("tg" + std::to_string(n) + (spec ? " greedy, spec mtp" : " greedy, plain"), tps, extra);
    };
    if (!o->json) {
      const ParamCount pc = count_params(c);
      std::printf("model: %s, %lld layers, %.1f M active of %.1f M parameters, weights %s, kv cache %s (%lld bytes/token)\n\n",
                  c.architecture.c_str(), (long long)c.n_layers, double(pc.active) / 1e6, double(pc.total) / 1e6,
                  dtype_tag(m.weights().layers[0].attn.wkv_a.dtype), cache_name, (long long)cache_bytes);
      std::printf("| model | threads | test | tokens/s (median ± sd) | |\n|---|---|---|---|---|\n");
    }
    if (o->bandwidth) {
      read_gbs = cpu::read_bandwidth_gbs(size_t(1) << 30, 7);
      report("read bandwidth (GB/s)", {read_gbs}, "1 GiB, median of 7 passes", ",\"read_gbs\":" + std::to_string(read_gbs));
    }
    run("pp", o->p, true);
    run("tg", o->n, false);
    if (o->spec && o->n > 0) {
      require(m.has_mtp(), o->model + ": no MTP module in the checkpoint; --spec mtp needs one");
      run_gen(o->n, false);
      run_gen(o->n, true);
    }
    return 0;
  };
}

}  // namespace r1::cli
