// r1 generate: prefill a prompt (token ids, text, or a chat message through the chat template) and decode
// with greedy or sampled decoding. Text prompts stream their output as text.
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "core/error.h"
#include "runtime/speculative.h"
#include "core/error.h"
#include "runtime/generate.h"
#include "tokenizer/chat_template.h"
#include "tokenizer/reasoning.h"
#include "tokenizer/tokenizer.h"

namespace r1::cli {

Action add_generate(CLI::App& app) {
  auto* cmd = app.add_subcommand("generate", "Generate a continuation of a prompt (token ids, text or a chat message)");
  struct Opts {
    std::string model, tokens, prompt, system, attn = "auto";
    ModelLoadOptions load;
    bool chat = false, json = false, spec = false, verbose = false;
    GenerateParams p;
    int threads = 0;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--model", o->model, "Hugging Face model folder")->required();
  auto* tok_opt = cmd->add_option("--tokens", o->tokens, "Prompt as comma-separated token ids");
  auto* prompt_opt = cmd->add_option("--prompt", o->prompt, "Prompt text (tokenized with the folder's tokenizer)");
  tok_opt->excludes(prompt_opt);
  cmd->add_flag("--chat", o->chat, "Treat --prompt as a user message and apply the chat template");
  cmd->add_option("--system", o->system, "System prompt (with --chat)");
  cmd->add_option("-n,--max-tokens", o->p.max_tokens, "Tokens to generate")->default_val(16);
  cmd->add_option("--temperature", o->p.sampler.temperature, "0 = greedy")->default_val(0.0f);
  cmd->add_option("--top-p", o->p.sampler.top_p, "Nucleus sampling threshold (1 = off)")->default_val(1.0f);
  cmd->add_option("--top-k", o->p.sampler.top_k, "Keep the k most likely tokens (0 = off)")->default_val(0);
  cmd->add_option("--seed", o->p.sampler.seed, "Sampling seed (same seed, same output)")->default_val(0);
  cmd->add_option("--ctx", o->p.context, "Context size in tokens (0: prompt + max tokens)")->default_val(0);
  cmd->add_flag("--ignore-eos", o->p.ignore_eos, "Do not stop at the end-of-sequence token");
  cmd->add_flag("--json", o->json, "Print one JSON object {tokens, text, reasoning_content, content, finish_reason, timings}");
  cmd->add_option("--attn", o->attn, "Attention path: auto, naive or absorb")->default_val("auto");
  cmd->add_option("-t,--threads", o->threads, "Threads (0: all cores)")->default_val(0);
  cmd->add_flag("-v,--verbose", o->verbose, "Print timings (and the MTP acceptance rate with --spec mtp) to stderr");
  add_spec_option(cmd, &o->spec);
  add_cache_type_option(cmd, &o->p.cache_type);
  add_load_options(cmd, &o->load);
  return [o]() {
    set_threads(o->threads);
    o->p.attn = parse_attn(o->attn);
    require(!o->tokens.empty() || !o->prompt.empty(), "give the prompt with --tokens or --prompt");
    require(!o->chat || !o->prompt.empty(), "--chat needs --prompt");
    Model m(o->model, o->load);
    std::unique_ptr<tok::Tokenizer> t;
    std::vector<int32_t> prompt;
    bool in_reasoning = false;
    if (!o->prompt.empty()) {
      t = std::make_unique<tok::Tokenizer>(o->model);
      if (o->chat) {
        nlohmann::ordered_json msgs = nlohmann::ordered_json::array();
        if (!o->system.empty()) msgs.push_back({{"role", "system"}, {"content", o->system}});
        msgs.push_back({{"role", "user"}, {"content", o->prompt}});
        const std::string text = tok::ChatTemplate(*t).render(msgs, true);
        prompt = t->encode(text);  // the template writes BOS itself
        in_reasoning = text.size() >= 8 && text.compare(text.size() - 8, 8, "<think>\n") == 0;
      } else {
        prompt = t->encode(o->prompt, t->config().add_bos_token);
      }
    } else {
      prompt = parse_token_list(o->tokens);
    }
    std::string text;
    std::unique_ptr<tok::StreamDecoder> dec;
    if (t) dec = std::make_unique<tok::StreamDecoder>(*t);
    const bool stream = !o->json;
    SpecStats spec;
    auto gen = [&](const std::function<bool(int32_t)>& cb) {
      return o->spec ? generate_mtp(m, prompt, o->p, cb, &spec) : generate(m, prompt, o->p, cb);
    };
    const GenerateResult r = gen([&](int32_t tok) {
      if (!o->p.ignore_eos && tok == m.config().eos_token_id) return true;  // ends the text; not part of it
      if (dec) {
        const std::string piece = dec->push(tok);
        text += piece;
        if (stream) std::fwrite(piece.data(), 1, piece.size(), stdout);
      } else if (stream) {
        std::printf("%d ", tok);
      }
      if (stream) std::fflush(stdout);
      return true;
    });
    if (dec) text += dec->flush();
    const double tps = r.tokens.size() > 1 ? double(r.tokens.size() - 1) / r.decode_seconds : 0.0;
    if (o->verbose) {
      std::fprintf(stderr, "\nprompt %zu tokens in %.3f s; %zu tokens decoded at %.2f tokens/s", prompt.size(),
                   r.prefill_seconds, r.tokens.size(), tps);
      if (o->spec)
        std::fprintf(stderr, "; MTP drafts accepted %lld of %lld (%.1f %%) in %lld steps", (long long)spec.accepted,
                     (long long)spec.drafted, 100.0 * spec.acceptance(), (long long)spec.steps);
      std::fprintf(stderr, "\n");
    }
    if (!o->json) {
      std::printf("\n");
      return 0;
    }
    nlohmann::ordered_json j;
    j["tokens"] = r.tokens;
    if (t) {
      const tok::ReasoningDelta d = tok::split_reasoning(text, in_reasoning);
      j["text"] = text;
      j["reasoning_content"] = d.reasoning;
      j["content"] = d.content;
    }
    j["finish_reason"] = r.finish_reason;
    j["prompt_tokens"] = prompt.size();
    j["prefill_seconds"] = r.prefill_seconds;
    j["decode_seconds"] = r.decode_seconds;
    j["decode_tokens_per_second"] = tps;
    if (o->spec)
      j["speculative"] = {{"drafted", spec.drafted}, {"accepted", spec.accepted}, {"acceptance", spec.acceptance()},
                          {"steps", spec.steps}};
    const std::string s = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    std::fwrite(s.data(), 1, s.size(), stdout);
    return 0;
  };
}

}  // namespace r1::cli
