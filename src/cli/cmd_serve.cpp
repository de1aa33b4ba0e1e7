// r1 serve: the OpenAI-compatible server.
#include "cli/commands.h"
#include "server/server.h"

namespace r1::cli {

Action add_serve(CLI::App& app) {
  auto* cmd = app.add_subcommand("serve", "OpenAI-compatible HTTP server (chat/completions, completions, models, health, metrics)");
  struct Opts { std::string model; server::ServerOptions s; int threads = 0; };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--model", o->model, "Hugging Face model folder (with tokenizer files)")->required();
  cmd->add_option("--host", o->s.host, "Address to bind (default localhost only)")->default_val("127.0.0.1");
  cmd->add_option("--port", o->s.port, "TCP port")->default_val(8080);
  cmd->add_option("--api-key", o->s.api_key, "Require 'Authorization: Bearer KEY' on every /v1 request");
  cmd->add_option("--parallel", o->s.parallel, "Sequences decoded together (continuous batching)")->default_val(4);
  cmd->add_option("--ctx", o->s.ctx, "Context length per sequence, in tokens (0: min(4096, the model's maximum))")
      ->default_val(0);
  cmd->add_option("--queue", o->s.queue, "Requests waiting for a busy slot before the server answers 503")->default_val(64);
  cmd->add_option("--model-id", o->s.model_id, "Model name clients must send (default: the folder's name)");
  cmd->add_option("-t,--threads", o->threads, "Compute threads (0: all cores)")->default_val(0);
  add_load_options(cmd, &o->s.load);
  add_spec_option(cmd, &o->s.spec);
  add_cache_type_option(cmd, &o->s.cache_type);
  return [o]() {
    set_threads(o->threads);
    return server::serve(o->model, o->s);
  };
}

}  // namespace r1::cli
