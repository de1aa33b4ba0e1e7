// r1 logits: the f32 logits of the last position of a token sequence, as JSON.
#include <cstdio>

#include "cli/commands.h"
#include "core/error.h"
#include "model/transformer.h"
#include "runtime/kv_cache.h"

namespace r1::cli {

Action add_logits(CLI::App& app) {
  auto* cmd = app.add_subcommand("logits", "Print {\"logits\":[...]}: f32 logits of the last position");
  struct Opts { std::string model, tokens, attn = "auto"; ModelLoadOptions load; int threads = 0; };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--model", o->model, "Hugging Face model folder")->required();
  cmd->add_option("--tokens", o->tokens, "Comma-separated token ids, e.g. 0,17,5")->required();
  cmd->add_option("--attn", o->attn, "Attention path: auto (naive prefill), naive or absorb")->default_val("auto");
  cmd->add_option("-t,--threads", o->threads, "Threads (0: all cores)")->default_val(0);
  add_load_options(cmd, &o->load);
  return [o]() {
    set_threads(o->threads);
    const AttnMode mode = parse_attn(o->attn);
    const std::vector<int32_t> toks = parse_token_list(o->tokens);
    Model m(o->model, o->load);
    LatentKVCache cache(m.config(), int64_t(toks.size()));
    std::vector<float> logits(size_t(m.config().vocab_size));
    m.forward(toks.data(), int64_t(toks.size()), 0, cache, logits.data(), mode);
    std::string out = "{\"logits\":[";
    for (size_t i = 0; i < logits.size(); ++i) out += (i ? "," : "") + json_float(logits[i]);
    out += "]}\n";
    std::fwrite(out.data(), 1, out.size(), stdout);
    return 0;
  };
}

}  // namespace r1::cli
