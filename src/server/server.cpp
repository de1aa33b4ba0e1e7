#include "server/server.h"

#include <httplib.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <thread>
#include <algorithm>

#include "core/error.h"
#include "model/transformer.h"
#include "quant/quantize.h"
#include "runtime/engine.h"
#include "server/api.h"
#include "server/session.h"
#include "tokenizer/chat_template.h"
#include "tokenizer/tokenizer.h"

namespace r1::server {

using json = nlohmann::ordered_json;

namespace {

struct App {
  const Model& model;
  const tok::Tokenizer& tok;
  std::unique_ptr<tok::ChatTemplate> chat;  // null when the tokenizer has no template
  Engine& engine;
  ServerOptions opt;
  std::atomic<int64_t> http_requests{0}, errors{0};
  std::atomic<int64_t> id_counter{0};
  const int64_t started = std::chrono::duration_cast<std::chrono::seconds>(
                              std::chrono::system_clock::now().time_since_epoch()).count();
};

void send_error(httplib::Response& res, const ApiError& e) {
  res.status = e.status;
  res.set_content(e.body(), "application/json");
}

int64_t now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

bool authorized(App& app, const httplib::Request& req, httplib::Response& res) {
  if (app.opt.api_key.empty()) return true;
  const std::string want = "Bearer " + app.opt.api_key;
  if (req.get_header_value("Authorization") == want) return true;
  send_error(res, {401, req.has_header("Authorization") ? "Incorrect API key provided." : "Missing API key (Authorization: Bearer ...).",
                   "invalid_request_error", "", "invalid_api_key"});
  return false;
}

// The prompt ids of a request, validated against the context.
std::vector<int32_t> prompt_ids(App& app, const GenRequest& g, bool* in_reasoning) {
  *in_reasoning = false;
  std::vector<int32_t> ids;
  if (g.chat) {
    if (!app.chat) throw ApiError{400, "this model has no chat template; use /v1/completions", "invalid_request_error", "messages", "no_chat_template"};
    std::string text;
    try {
      text = app.chat->render(g.messages, true, g.tools);
    } catch (const Error& e) {
      throw ApiError{400, e.what(), "invalid_request_error", "messages", "template_error"};
    }
    *in_reasoning = text.size() >= 8 && text.compare(text.size() - 8, 8, "<think>\n") == 0;
    ids = app.tok.encode(text);
  } else if (!g.prompt_tokens.empty()) {
    for (int32_t t : g.prompt_tokens)
      if (t < 0 || t >= app.model.config().vocab_size)
        throw ApiError{400, "token id " + std::to_string(t) + " is out of range", "invalid_request_error", "prompt", "invalid_value"};
    ids = g.prompt_tokens;
  } else {
    try {
      ids = app.tok.encode(g.prompt_text, app.tok.config().add_bos_token);
    } catch (const Error& e) {
      throw ApiError{400, e.what(), "invalid_request_error", "prompt", "invalid_value"};
    }
  }
  if (ids.empty()) throw ApiError{400, "the prompt is empty", "invalid_request_error", g.chat ? "messages" : "prompt", "invalid_value"};
  const int64_t ctx = app.opt.ctx;
  if (int64_t(ids.size()) >= ctx)
    throw ApiError{400, "This model's maximum context length is " + std::to_string(ctx) + " tokens. However, your prompt is " +
                            std::to_string(ids.size()) + " tokens.",
                   "invalid_request_error", g.chat ? "messages" : "prompt", "context_length_exceeded"};
  if (g.max_tokens && int64_t(ids.size()) + *g.max_tokens > ctx)
    throw ApiError{400, "max_tokens is too large: the prompt (" + std::to_string(ids.size()) + " tokens) plus max_tokens (" +
                            std::to_string(*g.max_tokens) + ") exceeds the context of " + std::to_string(ctx) + " tokens",
                   "invalid_request_error", "max_tokens", "context_length_exceeded"};
  return ids;
}

json usage_json(int64_t prompt, int64_t completion) {
  return {{"prompt_tokens", prompt}, {"completion_tokens", completion}, {"total_tokens", prompt + completion}};
}

std::string finish_reason_json(const std::string& r) { return r == "length" ? "length" : "stop"; }

json choice_delta(bool chat, const Delta* d, const std::string* finish, bool role) {
  json c = {{"index", 0}};
  if (chat) {
    json delta = json::object();
    if (role) delta["role"] = "assistant";
    if (d && !d->reasoning.empty()) delta["reasoning_content"] = d->reasoning;
    if (role) delta["content"] = "";
    else if (d && !d->content.empty()) delta["content"] = d->content;
    c["delta"] = delta;
  } else {
    c["text"] = d ? d->content + d->reasoning : "";
    c["logprobs"] = nullptr;
  }
  c["finish_reason"] = finish ? json(finish_reason_json(*finish)) : json(nullptr);
  return c;
}

void handle_generate(App& app, const httplib::Request& req, httplib::Response& res, bool chat) {
  ++app.http_requests;
  if (!authorized(app, req, res)) return;
  GenRequest g;
  std::vector<int32_t> ids;
  bool in_reasoning = false;
  try {
    g = parse_request(req.body, chat);
    if (g.model != app.opt.model_id)
      throw ApiError{404, "The model '" + g.model + "' does not exist (this server has '" + app.opt.model_id + "').",
                     "invalid_request_error", "model", "model_not_found"};
    ids = prompt_ids(app, g, &in_reasoning);
  } catch (const ApiError& e) {
    ++app.errors;
    return send_error(res, e);
  }
  const int64_t max_tokens = g.max_tokens ? *g.max_tokens : app.opt.ctx - int64_t(ids.size());
  auto session = std::make_shared<Session>(app.tok, g.stop, chat, in_reasoning);
  EngineRequest er;
  er.prompt = ids;
  er.max_tokens = max_tokens;
  er.sampler = g.sampler;
  er.on_token = [session](int32_t t) { return session->on_token(t); };
  er.on_done = [session](const std::string& r, int64_t n, const std::string& e) { session->on_done(r, n, e); };
  auto job = app.engine.submit(std::move(er));
  if (!job) {
    ++app.errors;
    return send_error(res, {503, "The server is busy (request queue full); retry later.", "server_error", "", "overloaded"});
  }
  const std::string id = std::string(chat ? "chatcmpl-" : "cmpl-") + std::to_string(app.started) + "-" +
                         std::to_string(++app.id_counter);
  const char* object = chat ? "chat.completion" : "text_completion";
  const int64_t created = now_s();
  const int64_t n_prompt = int64_t(ids.size());
  Engine* engine = &app.engine;
  if (!g.stream) {
    // The JSON is written when generation ends; until then a space every half second (JSON allows leading
    // white space) tells us whether the client is still there, so an abandoned request frees its slot.
    res.set_chunked_content_provider(
        "application/json",
        [=, model_id = app.opt.model_id, &app](size_t, httplib::DataSink& sink) {
          std::deque<Delta> d;
          std::string content, reasoning;
          for (;;) {
            const Session::Next n = session->next(&d, std::chrono::milliseconds(500));
            if (n == Session::Next::Done) break;
            if (n == Session::Next::Idle) {
              if (!sink.write(" ", 1)) {
                engine->cancel(job);
                return false;
              }
              continue;
            }
            for (const auto& x : d) {
              content += x.content;
              reasoning += x.reasoning;
            }
            d.clear();
          }
          const std::string reason = session->finish_reason();
          std::string body;
          if (reason == "error" || reason == "cancelled") {
            ++app.errors;
            body = reason == "error"
                       ? ApiError{500, "generation failed: " + session->error(), "server_error", "", "internal_error"}.body()
                       : ApiError{503, "the request was cancelled (the server is shutting down)", "server_error", "", "cancelled"}.body();
          } else {
            json choice = {{"index", 0}};
            if (chat) {
              json msg = {{"role", "assistant"}, {"content", content}};
              if (!reasoning.empty()) msg["reasoning_content"] = reasoning;
              choice["message"] = msg;
            } else {
              choice["text"] = content + reasoning;
              choice["logprobs"] = nullptr;
            }
            choice["finish_reason"] = finish_reason_json(reason);
            json out = {{"id", id}, {"object", object}, {"created", created}, {"model", model_id},
                        {"choices", json::array({choice})}, {"usage", usage_json(n_prompt, session->completion_tokens())}};
            body = out.dump(-1, ' ', false, json::error_handler_t::replace);
          }
          sink.write(body.data(), body.size());
          sink.done();
          return true;
        },
        [=](bool success) {
          if (!success) engine->cancel(job);
        });
    return;
  }
  const std::string chunk_object = chat ? "chat.completion.chunk" : "text_completion";
  const bool include_usage = g.include_usage;
  res.set_header("Cache-Control", "no-cache");
  res.set_chunked_content_provider(
      "text/event-stream",
      [=, model_id = app.opt.model_id](size_t, httplib::DataSink& sink) {
        auto event = [](const json& j) { return "data: " + j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n\n"; };
        auto send = [&](const json& j) {
          const std::string s = event(j);
          return sink.write(s.data(), s.size());
        };
        auto frame = [&](const json& choices) {
          return json{{"id", id}, {"object", chunk_object}, {"created", created}, {"model", model_id}, {"choices", choices}};
        };
        if (chat && !send(frame(json::array({choice_delta(true, nullptr, nullptr, true)})))) {
          engine->cancel(job);
          return false;
        }
        std::deque<Delta> d;
        for (;;) {
          const Session::Next n = session->next(&d, std::chrono::milliseconds(250));
          if (n == Session::Next::Done) break;
          // While waiting (queued, or a long prefill) an SSE comment probes the client; clients ignore it.
          // The deltas that arrived since the last wake-up go out in one write (one SSE event each).
          const bool ok = n == Session::Next::Idle ? sink.write(": keep-alive\n\n", 14) : [&] {
            std::string events;
            for (const auto& x : d) events += event(frame(json::array({choice_delta(chat, &x, nullptr, false)})));
            return sink.write(events.data(), events.size());
          }();
          if (!ok) {
            engine->cancel(job);  // the client went away: free the slot (or the queue place) now
            return false;
          }
          d.clear();
        }
        const std::string reason = session->finish_reason();
        if (reason == "error" || reason == "cancelled") {
          const ApiError e = reason == "error"
                                 ? ApiError{500, "generation failed: " + session->error(), "server_error", "", "internal_error"}
                                 : ApiError{503, "the request was cancelled (the server is shutting down)", "server_error", "", "cancelled"};
          const std::string s = "data: " + e.body() + "\n\n";
          sink.write(s.data(), s.size());
        } else {
          send(frame(json::array({choice_delta(chat, nullptr, &reason, false)})));
          if (include_usage) {
            json u = frame(json::array());
            u["usage"] = usage_json(n_prompt, session->completion_tokens());
            send(u);
          }
        }
        const std::string done = "data: [DONE]\n\n";
        sink.write(done.data(), done.size());
        sink.done();
        return true;
      },
      [=](bool success) {
        if (!success) engine->cancel(job);
      });
}

std::string metrics_text(App& app) {
  const EngineStats s = app.engine.stats();
  std::string out;
  auto metric = [&](const char* name, const char* type, const char* help, double v) {
    char line[64];
    std::snprintf(line, sizeof line, "%.6g", v);
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" + name + " " + line + "\n";
  };
  metric("r1_http_requests_total", "counter", "Generation requests received.", double(app.http_requests));
  metric("r1_http_errors_total", "counter", "Requests answered with an error.", double(app.errors));
  metric("r1_requests_total", "counter", "Requests accepted by the engine.", double(s.requests));
  metric("r1_requests_rejected_total", "counter", "Requests refused because the queue was full.", double(s.rejected));
  metric("r1_prompt_tokens_total", "counter", "Prompt tokens processed (tokens in).", double(s.prompt_tokens));
  metric("r1_prompt_tokens_cached_total", "counter", "Prompt tokens served from the prefix cache.", double(s.cached_prompt_tokens));
  metric("r1_completion_tokens_total", "counter", "Tokens generated (tokens out).", double(s.completion_tokens));
  metric("r1_queue_depth", "gauge", "Requests waiting for a slot.", double(s.queue_depth));
  metric("r1_active_sequences", "gauge", "Sequences being decoded.", double(s.active));
  metric("r1_decode_steps_total", "counter", "Batched decode steps.", double(s.decode_steps));
  metric("r1_decode_rows_total", "counter", "Sequence rows over all decode steps (/ steps = mean batch).",
         double(s.decode_rows));
  metric("r1_decode_tokens_per_second", "gauge", "Tokens per second of decode steps so far (all sequences).",
         s.decode_seconds > 0 ? double(s.decode_tokens) / s.decode_seconds : 0.0);
  if (app.engine.options().spec) {
    metric("r1_spec_drafts_total", "counter", "MTP drafts verified (speculative decoding).", double(s.spec_drafted));
    metric("r1_spec_accepted_total", "counter", "MTP drafts accepted.", double(s.spec_accepted));
    metric("r1_spec_acceptance_ratio", "gauge", "Accepted / verified MTP drafts so far.",
           s.spec_drafted > 0 ? double(s.spec_accepted) / double(s.spec_drafted) : 0.0);
  }
  metric("r1_kv_cache_bytes", "gauge", "Bytes allocated for the paged KV cache.", double(app.engine.pool().allocated_bytes()));
  metric("r1_kv_cache_bytes_per_token", "gauge", "KV cache bytes one token takes (all layers, storage type included).",
         double(app.engine.pool().bytes_per_token()));
  metric("r1_prefill_tokens_per_second", "gauge", "Prompt tokens per second of prefill so far.",
         s.prefill_seconds > 0 ? double(s.prompt_tokens - s.cached_prompt_tokens) / s.prefill_seconds : 0.0);
  return out;
}

}  // namespace

int serve(const std::string& model_dir, ServerOptions o) {
  // SIGINT/SIGTERM may land on any thread (OpenBLAS starts its own before main): the handler only writes a
  // byte to a pipe, and a watcher thread does the shutdown.
  static int sig_pipe[2] = {-1, -1};
  require(::pipe(sig_pipe) == 0, "cannot create a pipe for signal handling");
  struct sigaction sa {};
  sa.sa_handler = [](int s) {
    const char c = char(s);
    [[maybe_unused]] const ssize_t n = ::write(sig_pipe[1], &c, 1);
  };
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);

  const Model model(model_dir, o.load);
  const tok::Tokenizer tok(model_dir);
  if (o.model_id.empty()) o.model_id = std::filesystem::path(model_dir).lexically_normal().filename().string();
  if (o.model_id.empty()) o.model_id = std::filesystem::path(model_dir).lexically_normal().parent_path().filename().string();
  if (o.ctx == 0) o.ctx = std::min<int64_t>(4096, model.config().max_seq_len);
  require(o.ctx >= 2 && o.ctx <= model.config().max_seq_len,
          "--ctx must be between 2 and max_position_embeddings (" + std::to_string(model.config().max_seq_len) + ")");
  EngineOptions eo;
  eo.max_parallel = o.parallel;
  eo.spec = o.spec;
  eo.cache_type = o.cache_type;
  eo.context = o.ctx;
  eo.queue_max = o.queue;
  Engine engine(model, eo);
  App app{model, tok, nullptr, engine, o};
  if (!tok.config().chat_template.empty()) app.chat = std::make_unique<tok::ChatTemplate>(tok);

  httplib::Server svr;
  const size_t threads = size_t(o.parallel + o.queue + 4);
  svr.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  svr.Post("/v1/chat/completions", [&](const httplib::Request& q, httplib::Response& r) { handle_generate(app, q, r, true); });
  svr.Post("/v1/completions", [&](const httplib::Request& q, httplib::Response& r) { handle_generate(app, q, r, false); });
  svr.Get("/v1/models", [&](const httplib::Request& q, httplib::Response& r) {
    if (!authorized(app, q, r)) return;
    json m = {{"id", o.model_id}, {"object", "model"}, {"created", app.started}, {"owned_by", "r1.cpp"}};
    r.set_content(json{{"object", "list"}, {"data", json::array({m})}}.dump(), "application/json");
  });
  svr.Get("/health", [&](const httplib::Request&, httplib::Response& r) { r.set_content("{\"status\":\"ok\"}", "application/json"); });
  svr.Get("/metrics", [&](const httplib::Request&, httplib::Response& r) { r.set_content(metrics_text(app), "text/plain; version=0.0.4"); });
  svr.set_error_handler([](const httplib::Request& q, httplib::Response& r) {
    if (!r.body.empty()) return;  // a handler already wrote an OpenAI error
    if (r.status == 404 || r.status == 405) {
      r.status = 404;
      send_error(r, {404, "Unknown route: " + q.method + " " + q.path, "invalid_request_error", "", "unknown_url"});
    } else {
      send_error(r, {r.status, "HTTP error " + std::to_string(r.status), "invalid_request_error", "", ""});
    }
  });
  svr.set_payload_max_length(64 << 20);
  svr.set_tcp_nodelay(true);  // stream tokens as they come, not in 40 ms Nagle batches
  svr.set_keep_alive_max_count(100000);  // httplib's default (5 requests) makes pooled clients hit closed sockets
  svr.set_keep_alive_timeout(2);  // idle connections close soon: shutdown waits for them
  // The listening socket: SO_REUSEADDR only (httplib's default adds SO_REUSEPORT, which would let a second server
  // share the port silently instead of failing), and a deep accept queue. httplib listens with a backlog of 5:
  // 16 clients connecting at once overflowed it, and each dropped SYN cost its request a 1 s retransmission.
  int listen_fd = -1;
  svr.set_socket_options([&listen_fd](int fd) {
    const int yes = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    listen_fd = fd;
  });
  if (!svr.bind_to_port(o.host, o.port)) throw Error("cannot listen on " + o.host + ":" + std::to_string(o.port));
  if (listen_fd < 0 || ::listen(listen_fd, SOMAXCONN) != 0)
    throw Error("cannot set the accept queue of " + o.host + ":" + std::to_string(o.port));

  std::thread sig([&] {
    char s = 0;
    while (::read(sig_pipe[0], &s, 1) < 0 && errno == EINTR) {
    }
    if (s == 0) return;  // woken by serve() itself: the listener failed
    std::fprintf(stderr, "r1 serve: %s received, stopping\n", s == SIGINT ? "SIGINT" : "SIGTERM");
    engine.shutdown(/*drain=*/false);  // in-flight requests end as cancelled; their streams are closed
    svr.stop();
  });
  std::fprintf(stderr,
               "r1 serve: %s on http://%s:%d (parallel %lld, ctx %lld%s; kv cache %s, %lld bytes/token, %.1f MiB)\n",
               o.model_id.c_str(), o.host.c_str(), o.port, (long long)o.parallel, (long long)o.ctx,
               o.spec ? ", speculative decoding with the MTP module" : "", cache_type_name(o.cache_type),
               (long long)engine.pool().bytes_per_token(), double(engine.pool().allocated_bytes()) / (1 << 20));
  svr.listen_after_bind();
  // listen returned: either a signal stopped it (the thread is done) or the server failed.
  const char zero = 0;
  [[maybe_unused]] const ssize_t n = ::write(sig_pipe[1], &zero, 1);  // wakes the watcher if no signal came
  sig.join();
  return 0;
}

}  // namespace r1::server
