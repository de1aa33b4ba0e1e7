// r1-probe-llamacpp: feed token ids to a GGUF model through libllama (llama.cpp's public C API) and print, as
// one JSON object, the f32 logits of the last prompt position and a greedy continuation. The counterpart of
// `r1 logits --tokens ...` and `r1 generate --tokens ... --temperature 0`, so that a converted checkpoint can be
// checked against r1 on the same ids without any tokenizer in between.
//
// Build (bench/llamacpp/build_llamacpp.sh does it):
//   g++ -O2 -std=c++17 probe_llamacpp.cpp -I$SRC/include -I$SRC/ggml/include -L$BUILD/bin -lllama -lggml \
//       -lggml-base -Wl,-rpath,$BUILD/bin -o r1-probe-llamacpp
// Usage: r1-probe-llamacpp MODEL.gguf TOKENS [N_GEN] [THREADS] [KV_TYPE] [FLASH_ATTN]
//   TOKENS   comma-separated ids, used as given (no BOS is added)
//   KV_TYPE  f32 (default: the latent cache in full precision, for comparisons) or f16 (llama.cpp's default)
//   FLASH_ATTN  auto (default, as llama.cpp), on or off
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include "llama.h"

static void quiet_log(ggml_log_level level, const char* text, void*) {
  if (level >= GGML_LOG_LEVEL_WARN) fputs(text, stderr);
}

static int argmax(const float* v, int n) {
  int best = 0;
  for (int i = 1; i < n; ++i)
    if (v[i] > v[best]) best = i;
  return best;
}

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s MODEL.gguf TOKENS [N_GEN=8] [THREADS=2] [KV_TYPE=f32] [FLASH_ATTN=auto]\n", argv[0]);
    return 2;
  }
  const char* path = argv[1];
  std::vector<llama_token> prompt;
  {
    std::stringstream ss(argv[2]);
    std::string item;
    while (std::getline(ss, item, ',')) prompt.push_back((llama_token)std::atoi(item.c_str()));
  }
  const int n_gen = argc > 3 ? std::atoi(argv[3]) : 8;
  const int threads = argc > 4 ? std::atoi(argv[4]) : 2;
  const std::string kv = argc > 5 ? argv[5] : "f32";
  const std::string fa = argc > 6 ? argv[6] : "auto";
  if (prompt.empty()) {
    fprintf(stderr, "empty prompt\n");
    return 2;
  }

  llama_log_set(quiet_log, nullptr);
  llama_backend_init();

  llama_model_params mp = llama_model_default_params();
  mp.n_gpu_layers = 0;
  mp.progress_callback = [](float, void*) { return true; };  // no progress dots
  llama_model* model = llama_model_load_from_file(path, mp);
  if (!model) {
    fprintf(stderr, "could not load %s\n", path);
    return 1;
  }
  const llama_vocab* vocab = llama_model_get_vocab(model);
  const int n_vocab = llama_vocab_n_tokens(vocab);

  llama_context_params cp = llama_context_default_params();
  const int n_ctx = (int)prompt.size() + n_gen + 16;
  cp.n_ctx = (uint32_t)n_ctx;
  cp.n_batch = (uint32_t)n_ctx;
  cp.n_ubatch = (uint32_t)n_ctx;
  cp.n_threads = threads;
  cp.n_threads_batch = threads;
  cp.no_perf = true;
  if (kv == "f32") {
    cp.type_k = GGML_TYPE_F32;
    cp.type_v = GGML_TYPE_F32;
  }
  if (fa == "on") cp.flash_attn_type = LLAMA_FLASH_ATTN_TYPE_ENABLED;
  if (fa == "off") cp.flash_attn_type = LLAMA_FLASH_ATTN_TYPE_DISABLED;
  llama_context* ctx = llama_init_from_model(model, cp);
  if (!ctx) {
    fprintf(stderr, "could not create a context\n");
    return 1;
  }

  std::vector<llama_token> cur = prompt;
  if (llama_decode(ctx, llama_batch_get_one(cur.data(), (int32_t)cur.size())) != 0) {
    fprintf(stderr, "decode of the prompt failed\n");
    return 1;
  }
  const float* first = llama_get_logits_ith(ctx, -1);
  std::vector<float> logits(first, first + n_vocab);

  std::vector<llama_token> out;
  llama_token next = argmax(first, n_vocab);
  for (int i = 0; i < n_gen; ++i) {
    out.push_back(next);
    if (i + 1 == n_gen) break;
    if (llama_decode(ctx, llama_batch_get_one(&next, 1)) != 0) {
      fprintf(stderr, "decode failed at step %d\n", i);
      return 1;
    }
    next = argmax(llama_get_logits_ith(ctx, -1), n_vocab);
  }

  printf("{\"tokens\":[");
  for (size_t i = 0; i < out.size(); ++i) printf("%s%d", i ? "," : "", out[i]);
  printf("],\"logits\":[");
  for (int i = 0; i < n_vocab; ++i) printf("%s%.9g", i ? "," : "", logits[i]);
  printf("]}\n");

  llama_free(ctx);
  llama_model_free(model);
  llama_backend_free();
  return 0;
}
