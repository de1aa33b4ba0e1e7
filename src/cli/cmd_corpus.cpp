// r1 corpus: build a training token file (.tok) next to the tokenizer that produced it, from a text file (one
// document per line, or the whole file with --whole) tokenized by a model folder's tokenizer or by r1's
// character-level tokenizer. Documents are separated by the tokenizer's EOS token.
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "cli/commands.h"
#include "core/error.h"
#include "io/file_util.h"
#include "rl/task_corpus.h"
#include "tasks/registry.h"
#include "tokenizer/byte_tokenizer_writer.h"
#include "tokenizer/tokenizer.h"
#include "train/token_data.h"

namespace r1::cli {

Action add_corpus(CLI::App& app) {
  auto* cmd = app.add_subcommand("corpus", "Tokenize text into a training token file (.tok) with its tokenizer");
  struct Opts {
    std::string text, tokenizer, out, task, task_options;
    bool whole = false;
    int64_t problems = 10000;
    double slip = 0.0;
    uint64_t seed = 0;
  };
  auto o = std::make_shared<Opts>();
  auto* text = cmd->add_option("--text", o->text, "UTF-8 text file; each non-empty line is a document");
  auto* task = cmd->add_option("--task", o->task,
                               "Instead of text: worked solutions of a task's training problems (arithmetic | countdown), "
                               "each document BOS <｜User｜>problem<｜Assistant｜><think>…</think><answer>…</answer> EOS");
  text->excludes(task);
  cmd->add_option("--task-options", o->task_options, "Task options k=v,...");
  cmd->add_option("--problems", o->problems, "Documents to generate with --task")->default_val(o->problems);
  cmd->add_option("--slip", o->slip, "Probability that a step of a worked solution goes wrong (noisy corpus)")
      ->default_val(0.0);
  cmd->add_option("--seed", o->seed, "Seed of the problems and slips")->default_val(0);
  cmd->add_option("--tokenizer", o->tokenizer, "Folder with tokenizer.json (default: r1's character-level tokenizer)");
  cmd->add_option("--out", o->out, "Folder to write: train.tok + tokenizer.json + tokenizer_config.json")->required();
  cmd->add_flag("--whole", o->whole, "The whole file is one document");
  return [o]() {
    std::filesystem::create_directories(o->out);
    int64_t vocab = 0;
    if (o->tokenizer.empty()) {
      vocab = tok::write_char_tokenizer(o->out);
    } else {
      for (const char* f : {"tokenizer.json", "tokenizer_config.json"})
        if (std::filesystem::exists(o->tokenizer + "/" + f))
          write_file_atomic(o->out + "/" + f, read_file(o->tokenizer + "/" + f));
    }
    const tok::Tokenizer t(o->out);
    if (vocab == 0) vocab = t.vocab_size();
    require(t.eos_id() >= 0, o->out + ": the tokenizer has no eos_token to separate documents");
    std::vector<int32_t> ids;
    int64_t docs = 0;
    if (!o->task.empty()) {  // training-split problems only: the test split stays held out
      const auto tk = tasks::make_task(o->task, tasks::parse_task_options(o->task_options));
      rl::CorpusStats st;
      ids = rl::task_corpus_ids(t, *tk, o->problems, o->slip, o->seed, &st);
      train::write_token_file(o->out + "/train.tok", ids, vocab);
      std::printf("wrote %s/train.tok: %lld %s solutions (%lld with a wrong answer), %lld tokens, vocab %lld\n",
                  o->out.c_str(), (long long)st.documents, o->task.c_str(), (long long)st.wrong, (long long)st.tokens,
                  (long long)vocab);
      return 0;
    }
    require(!o->text.empty(), "give --text FILE or --task NAME");
    const std::string text = read_file(o->text);
    auto add = [&](std::string_view doc) {
      if (doc.empty()) return;
      const auto d = t.encode(doc);
      ids.insert(ids.end(), d.begin(), d.end());
      ids.push_back(t.eos_id());
      ++docs;
    };
    if (o->whole) {
      add(text);
    } else {
      size_t a = 0;
      while (a < text.size()) {
        size_t b = text.find('\n', a);
        if (b == std::string::npos) b = text.size();
        add(std::string_view(text).substr(a, b - a));
        a = b + 1;
      }
    }
    train::write_token_file(o->out + "/train.tok", ids, vocab);
    std::printf("wrote %s/train.tok: %lld documents, %zu tokens, vocab %lld\n", o->out.c_str(), (long long)docs,
                ids.size(), (long long)vocab);
    return 0;
  };
}

}  // namespace r1::cli
