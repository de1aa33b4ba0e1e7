// r1 chat: an interactive chat in the terminal. Streams the answer as it is generated; reasoning
// (<think>…</think>) is shown dimmed and set apart. Commands: /reset, /system TEXT, /exit. The history is
// trimmed (oldest turns first) to fit the context; the latent cache is reused for the unchanged prefix of
// the conversation. Ctrl-C stops the current answer, not the program; Ctrl-D or /exit quits.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "core/error.h"
#include "runtime/kv_cache.h"
#include "runtime/sampler.h"
#include "runtime/spec_decoder.h"
#include "tokenizer/chat_template.h"
#include "tokenizer/reasoning.h"
#include "tokenizer/tokenizer.h"

namespace r1::cli {

namespace {

std::atomic<bool> g_interrupted{false};
void on_sigint(int) { g_interrupted = true; }

struct ChatOpts {
  std::string model, system;
  ModelLoadOptions load;
  int64_t ctx = 4096, max_tokens = 512;
  SamplerParams sampler;
  int threads = 0;
  bool spec = false;
  DType cache_type = DType::F32;
};

class ChatSession {
 public:
  ChatSession(const ChatOpts& o)
      : o_(o),
        model_(o.model, o.load),
        tok_(o.model),
        tmpl_(tok_),
        cache_(model_.config(), o.ctx, o.spec ? 1 : 0, o.cache_type),
        sampler_(o.sampler) {
    require(o.ctx > o.max_tokens + 8, "--ctx must exceed --max-tokens");
    if (o.spec) {
      require(model_.has_mtp(), o.model + ": no MTP module in the checkpoint; --spec mtp needs one");
      spec_.cache = &cache_;
      spec_.sampler = &sampler_;
    }
    reset();
  }

  void reset() {
    msgs_ = nlohmann::ordered_json::array();
    if (!system_.empty()) msgs_.push_back({{"role", "system"}, {"content", system_}});
  }
  void set_system(const std::string& s) {
    system_ = s;
    reset();
  }

  // One user turn: prints the streamed answer and appends it to the history.
  void turn(const std::string& user, bool tty) {
    msgs_.push_back({{"role", "user"}, {"content", user}});
    std::string text;
    std::vector<int32_t> prompt;
    for (;;) {  // drop the oldest turns until the prompt leaves room for the answer
      text = tmpl_.render(msgs_, true);
      prompt = tok_.encode(text);
      if (int64_t(prompt.size()) + o_.max_tokens <= o_.ctx) break;
      const size_t first = (!msgs_.empty() && msgs_[0]["role"] == "system") ? 1 : 0;
      if (msgs_.size() <= first + 1) throw Error("the message is longer than the context (" + std::to_string(o_.ctx) + " tokens)");
      msgs_.erase(msgs_.begin() + long(first));
    }
    const bool in_reasoning = text.size() >= 8 && text.compare(text.size() - 8, 8, "<think>\n") == 0;
    // Reuse cached positions shared with the previous turn's tokens.
    size_t keep = 0;
    while (keep < cached_.size() && keep + 1 < prompt.size() && cached_[keep] == prompt[keep]) ++keep;
    cached_.resize(keep);
    const ModelConfig& c = model_.config();
    std::vector<float> logits(static_cast<size_t>(c.vocab_size));
    tok::StreamDecoder dec(tok_, true);
    tok::ReasoningSplitter split(in_reasoning);
    std::string answer_raw;
    bool in_think_shown = false;
    auto show = [&](const tok::ReasoningDelta& d) {
      if (!d.reasoning.empty()) {
        if (!in_think_shown) std::fputs(tty ? "\x1b[2m[thinking]\n" : "[thinking]\n", stdout);
        else if (tty) std::fputs("\x1b[2m", stdout);
        in_think_shown = true;
        std::fputs(d.reasoning.c_str(), stdout);
        if (tty) std::fputs("\x1b[0m", stdout);
      }
      if (!d.content.empty()) {
        if (in_think_shown && !shown_answer_) std::fputs("\n[answer]\n", stdout);
        shown_answer_ = true;
        std::fputs(d.content.c_str(), stdout);
      }
      std::fflush(stdout);
    };
    shown_answer_ = false;
    g_interrupted = false;
    // Each generated token is shown; false ends the answer (EOS, Ctrl-C).
    auto take = [&](int32_t t) {
      if (t == c.eos_token_id || t == tok_.eos_id()) return false;
      const std::string piece = dec.push(t);
      answer_raw += piece;
      show(split.push(piece));
      return !g_interrupted;
    };
    if (o_.spec) {
      std::vector<int32_t> toks = prompt;  // prompt + emitted
      toks.push_back(spec_extend(model_, spec_, prompt, int64_t(keep), int64_t(prompt.size()), true));
      bool go = take(toks.back());
      std::vector<std::vector<int32_t>> out;
      while (go && int64_t(toks.size() - prompt.size()) < o_.max_tokens && spec_.pos < o_.ctx) {
        spec_step(model_, {&spec_}, out);
        for (int32_t t : out[0]) {
          if (!go || int64_t(toks.size() - prompt.size()) >= o_.max_tokens) break;
          toks.push_back(t);
          go = take(t);
        }
      }
      // The cache holds rows for the first spec_.pos tokens (the last emitted one may still be pending).
      toks.resize(std::min(toks.size(), size_t(spec_.pos)));
      cached_ = toks;
    } else {
      model_.forward(prompt.data() + keep, int64_t(prompt.size() - keep), int64_t(keep), cache_, logits.data());
      cached_ = prompt;
      int64_t pos = int64_t(prompt.size());
      for (int64_t i = 0; i < o_.max_tokens; ++i) {
        const int32_t t = sampler_.sample(logits.data(), c.vocab_size);
        if (!take(t)) break;
        cached_.push_back(t);
        if (pos + 1 >= o_.ctx) break;
        model_.decode(t, pos++, cache_, logits.data());
      }
    }
    const std::string tail = dec.flush();
    answer_raw += tail;
    show(split.push(tail));
    show(split.finish());
    if (g_interrupted) std::fputs(" [stopped]", stdout);
    std::fputs("\n", stdout);
    msgs_.push_back({{"role", "assistant"}, {"content", answer_raw}});
  }

 private:
  ChatOpts o_;
  Model model_;
  tok::Tokenizer tok_;
  tok::ChatTemplate tmpl_;
  LatentKVCache cache_;
  Sampler sampler_;
  SpecSeq spec_;  // with --spec mtp
  nlohmann::ordered_json msgs_;
  std::string system_;
  std::vector<int32_t> cached_;  // tokens whose latents are in cache_, in order
  bool shown_answer_ = false;
};

}  // namespace

Action add_chat(CLI::App& app) {
  auto* cmd = app.add_subcommand("chat", "Interactive chat in the terminal (/reset, /system TEXT, /exit; Ctrl-C stops an answer)");
  auto o = std::make_shared<ChatOpts>();
  cmd->add_option("--model", o->model, "Hugging Face model folder (with tokenizer files and a chat template)")->required();
  cmd->add_option("--system", o->system, "System prompt");
  cmd->add_option("--ctx", o->ctx, "Context length in tokens")->default_val(4096);
  cmd->add_option("-n,--max-tokens", o->max_tokens, "Longest answer in tokens")->default_val(512);
  cmd->add_option("--temperature", o->sampler.temperature, "0 = greedy")->default_val(0.6f);
  cmd->add_option("--top-p", o->sampler.top_p, "Nucleus sampling threshold")->default_val(0.95f);
  cmd->add_option("--top-k", o->sampler.top_k, "Top-k (0 = off)")->default_val(0);
  cmd->add_option("--seed", o->sampler.seed, "Sampling seed")->default_val(0);
  cmd->add_option("-t,--threads", o->threads, "Threads (0: all cores)")->default_val(0);
  add_load_options(cmd, &o->load);
  add_spec_option(cmd, &o->spec);
  add_cache_type_option(cmd, &o->cache_type);
  return [o]() {
    set_threads(o->threads);
    ChatSession chat(*o);
    if (!o->system.empty()) chat.set_system(o->system);
    struct sigaction sa {};
    sa.sa_handler = on_sigint;
    sa.sa_flags = SA_RESTART;  // at the prompt Ctrl-C does nothing; during an answer it stops the answer
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, nullptr);
    const bool tty = ::isatty(STDOUT_FILENO);
    std::fprintf(stdout, "r1 chat: %s — /reset, /system TEXT, /exit; Ctrl-C stops an answer\n", o->model.c_str());
    std::string line;
    for (;;) {
      std::fputs(tty ? "\x1b[1myou>\x1b[0m " : "you> ", stdout);
      std::fflush(stdout);
      g_interrupted = false;
      if (!std::getline(std::cin, line)) {  // Ctrl-D
        std::fputs("\n", stdout);
        return 0;
      }
      if (line.empty()) continue;
      if (line == "/exit" || line == "/quit") return 0;
      if (line == "/reset") {
        chat.reset();
        std::fputs("(history cleared)\n", stdout);
        continue;
      }
      if (line.rfind("/system", 0) == 0) {
        chat.set_system(line.size() > 8 ? line.substr(8) : "");
        std::fputs("(system prompt set; history cleared)\n", stdout);
        continue;
      }
      std::fputs(tty ? "\x1b[1mr1>\x1b[0m " : "r1> ", stdout);
      try {
        chat.turn(line, tty);
      } catch (const Error& e) {
        std::fprintf(stdout, "\n(error: %s)\n", e.what());
      }
    }
  };
}

}  // namespace r1::cli
