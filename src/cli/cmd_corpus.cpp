// r1 corpus: build a training token file (.tok) next to the tokenizer that produced it, from a text file (one
// document per line, or the whole file with --whole) tokenized by a model folder's tokenizer or by r1's
// character-level tokenizer. Documents are separated by the tokenizer's EOS token.
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "cli/commands.h"
#include "core/error.h"
#include "io/file_util.h"
#include "tokenizer/byte_tokenizer_writer.h"
#include "tokenizer/tokenizer.h"
#include "train/token_data.h"

namespace r1::cli {

Action add_corpus(CLI::App& app) {
  auto* cmd = app.add_subcommand("corpus", "Tokenize text into a training token file (.tok) with its tokenizer");
  struct Opts {
    std::string text, tokenizer, out;
    bool whole = false;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--text", o->text, "UTF-8 text file; each non-empty line is a document")->required();
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
    const std::string text = read_file(o->text);
    std::vector<int32_t> ids;
    int64_t docs = 0;
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
