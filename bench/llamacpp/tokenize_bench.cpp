// r1-tokenize-llamacpp: llama.cpp's tokenizer (libllama's llama_tokenize) on a vocab-only GGUF, loaded once.
// The counterpart of `r1 tokenize --bench N` (throughput) and `r1 tokenize --json` (ids).
//
// Build (outside the repository):
//   g++ -O2 -std=c++17 tokenize_bench.cpp -I$SRC/include -I$SRC/ggml/include -L$BUILD/bin -lllama -lggml \
//       -lggml-base -Wl,-rpath,$BUILD/bin -o r1-tokenize-llamacpp
// Usage:
//   r1-tokenize-llamacpp bench VOCAB.gguf FILE [REPS=5]
//       tokenize the whole of FILE REPS times (one call each); prints the median MB/s, then the token count
//       and the load time on stderr
//   r1-tokenize-llamacpp ids VOCAB.gguf RECORDS
//       RECORDS holds texts as "<byte length>\n<bytes>" one after another; prints one line of
//       comma-separated ids per text
// Both modes: no BOS/EOS added (add_special = false), special tokens parsed (parse_special = true), as
// Hugging Face's tokenizer.json encoding does.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "llama.h"

static void quiet_log(ggml_log_level level, const char* text, void*) {
  if (level >= GGML_LOG_LEVEL_WARN) fputs(text, stderr);
}

static std::vector<llama_token> encode(const llama_vocab* vocab, const std::string& text) {
  std::vector<llama_token> ids(text.size() + 16);
  int n = llama_tokenize(vocab, text.data(), (int32_t)text.size(), ids.data(), (int32_t)ids.size(),
                         /*add_special=*/false, /*parse_special=*/true);
  if (n < 0) {
    ids.resize(-n);
    n = llama_tokenize(vocab, text.data(), (int32_t)text.size(), ids.data(), (int32_t)ids.size(), false, true);
  }
  if (n < 0) {
    fprintf(stderr, "llama_tokenize failed (%d)\n", n);
    exit(1);
  }
  ids.resize(n);
  return ids;
}

static std::string read_all(const char* path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    fprintf(stderr, "cannot open %s\n", path);
    exit(1);
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int main(int argc, char** argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: %s bench VOCAB.gguf FILE [REPS=5] | ids VOCAB.gguf RECORDS\n", argv[0]);
    return 2;
  }
  const std::string mode = argv[1];
  llama_log_set(quiet_log, nullptr);
  llama_backend_init();
  auto t0 = std::chrono::steady_clock::now();
  llama_model_params mp = llama_model_default_params();
  mp.vocab_only = true;
  llama_model* model = llama_model_load_from_file(argv[2], mp);
  if (!model) {
    fprintf(stderr, "cannot load %s\n", argv[2]);
    return 1;
  }
  const llama_vocab* vocab = llama_model_get_vocab(model);
  double load_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::string data = read_all(argv[3]);

  if (mode == "bench") {
    int reps = argc > 4 ? atoi(argv[4]) : 5;
    std::vector<double> mbs;
    size_t n_tok = 0;
    for (int r = 0; r < reps; ++r) {
      auto a = std::chrono::steady_clock::now();
      n_tok = encode(vocab, data).size();
      double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - a).count();
      mbs.push_back(data.size() / 1e6 / s);
    }
    std::sort(mbs.begin(), mbs.end());
    printf("%.2f MB/s\n", mbs[mbs.size() / 2]);
    fprintf(stderr, "%zu bytes -> %zu tokens, %d reps, min %.2f max %.2f MB/s, vocab load %.3f s\n", data.size(),
            n_tok, reps, mbs.front(), mbs.back(), load_s);
  } else if (mode == "ids") {
    size_t pos = 0;
    while (pos < data.size()) {
      size_t nl = data.find('\n', pos);
      if (nl == std::string::npos) break;
      size_t len = std::stoul(data.substr(pos, nl - pos));
      std::string text = data.substr(nl + 1, len);
      pos = nl + 1 + len;
      auto ids = encode(vocab, text);
      for (size_t i = 0; i < ids.size(); ++i) printf(i ? ",%d" : "%d", ids[i]);
      printf("\n");
    }
  } else {
    fprintf(stderr, "unknown mode %s\n", mode.c_str());
    return 2;
  }
  llama_model_free(model);
  llama_backend_free();
  return 0;
}
