// r1 generate: prefill a prompt and decode with greedy or sampled decoding.
#include <cstdio>

#include "cli/commands.h"
#include "core/error.h"
#include "runtime/generate.h"

namespace r1::cli {

Action add_generate(CLI::App& app) {
  auto* cmd = app.add_subcommand("generate", "Generate a continuation of a prompt given as token ids");
  struct Opts {
    std::string model, tokens, attn = "auto";
    GenerateParams p;
    bool json = false;
    int threads = 0;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--model", o->model, "Hugging Face model folder")->required();
  cmd->add_option("--tokens", o->tokens, "Prompt as comma-separated token ids")->required();
  cmd->add_option("-n,--max-tokens", o->p.max_tokens, "Tokens to generate")->default_val(16);
  cmd->add_option("--temperature", o->p.sampler.temperature, "0 = greedy")->default_val(0.0f);
  cmd->add_option("--top-p", o->p.sampler.top_p, "Nucleus sampling threshold (1 = off)")->default_val(1.0f);
  cmd->add_option("--top-k", o->p.sampler.top_k, "Keep the k most likely tokens (0 = off)")->default_val(0);
  cmd->add_option("--seed", o->p.sampler.seed, "Sampling seed (same seed, same output)")->default_val(0);
  cmd->add_option("--ctx", o->p.context, "Context size in tokens (0: prompt + max tokens)")->default_val(0);
  cmd->add_flag("--ignore-eos", o->p.ignore_eos, "Do not stop at the end-of-sequence token");
  cmd->add_flag("--json", o->json, "Print one JSON object {tokens, finish_reason, timings}");
  cmd->add_option("--attn", o->attn, "Attention path: auto, naive or absorb")->default_val("auto");
  cmd->add_option("-t,--threads", o->threads, "Threads (0: all cores)")->default_val(0);
  return [o]() {
    set_threads(o->threads);
    o->p.attn = parse_attn(o->attn);
    const std::vector<int32_t> prompt = parse_token_list(o->tokens);
    Model m(o->model);
    const bool stream = !o->json;
    const GenerateResult r = generate(m, prompt, o->p, [&](int32_t tok) {
      if (stream) {
        std::printf("%d ", tok);
        std::fflush(stdout);
      }
      return true;
    });
    if (o->json) {
      std::string s = "{\"tokens\":[";
      for (size_t i = 0; i < r.tokens.size(); ++i) s += (i ? "," : "") + std::to_string(r.tokens[i]);
      char tail[256];
      const double tps = r.tokens.size() > 1 ? double(r.tokens.size() - 1) / r.decode_seconds : 0.0;
      std::snprintf(tail, sizeof tail,
                    "],\"finish_reason\":\"%s\",\"prompt_tokens\":%zu,\"prefill_seconds\":%.6f,"
                    "\"decode_seconds\":%.6f,\"decode_tokens_per_second\":%.3f}\n",
                    r.finish_reason.c_str(), prompt.size(), r.prefill_seconds, r.decode_seconds, tps);
      s += tail;
      std::fwrite(s.data(), 1, s.size(), stdout);
    } else {
      std::printf("\n");
    }
    return 0;
  };
}

}  // namespace r1::cli
