// `r1 serve`: an OpenAI-compatible HTTP server (cpp-httplib) over the continuous-batching engine.
// Routes: POST /v1/chat/completions, POST /v1/completions (streaming as Server-Sent Events or not),
// GET /v1/models, GET /health, GET /metrics (Prometheus text). Errors in OpenAI's shape.
#pragma once

#include <cstdint>
#include <string>

#include "core/dtype.h"
#include "model/transformer.h"

namespace r1::server {

struct ServerOptions {
  std::string host = "127.0.0.1";  // localhost unless told otherwise
  int port = 8080;
  std::string api_key;             // empty: no authentication
  int64_t parallel = 4;            // sequences decoded together
  int64_t ctx = 0;                 // context per sequence; 0: min(4096, max_position_embeddings)
  int64_t queue = 64;              // requests waiting for a busy slot beyond which the server answers 503
  std::string model_id;            // name clients use; default: the model folder's name
  ModelLoadOptions load;           // --quant (load-time q8 / q4) and --load (mmap / copy)
  bool spec = false;               // MTP self-speculative decoding
  DType cache_type = DType::F32;   // KV cache storage: F32, BF16 or F8_E4M3 (kernels/cache_row.h)
};

// Serves until SIGINT or SIGTERM; returns the process exit code (0 after a clean stop).
int serve(const std::string& model_dir, ServerOptions o);

}  // namespace r1::server
