#include "server/api.h"

#include <cmath>

namespace r1::server {

using json = nlohmann::ordered_json;

std::string ApiError::body() const {
  json e = {{"message", message}, {"type", type}, {"param", param.empty() ? json(nullptr) : json(param)},
            {"code", code.empty() ? json(nullptr) : json(code)}};
  return json{{"error", e}}.dump(-1, ' ', false, json::error_handler_t::replace);
}

namespace {

[[noreturn]] void bad(const std::string& param, const std::string& msg, const std::string& code = "invalid_value") {
  throw ApiError{400, msg, "invalid_request_error", param, code};
}

double number(const json& j, const std::string& key, double lo, double hi) {
  const json& v = j[key];
  if (!v.is_number()) bad(key, "'" + key + "' must be a number");
  const double d = v.get<double>();
  if (!std::isfinite(d) || d < lo || d > hi)
    bad(key, "'" + key + "' must be between " + std::to_string(lo).substr(0, 4) + " and " + std::to_string(hi).substr(0, 4));
  return d;
}

int64_t integer(const json& j, const std::string& key, int64_t lo, int64_t hi) {
  const json& v = j[key];
  if (!v.is_number_integer()) bad(key, "'" + key + "' must be an integer");
  const int64_t i = v.get<int64_t>();
  if (i < lo || i > hi) bad(key, "'" + key + "' must be between " + std::to_string(lo) + " and " + std::to_string(hi));
  return i;
}

bool present(const json& j, const std::string& key) { return j.contains(key) && !j[key].is_null(); }

void parse_messages(const json& msgs) {
  if (!msgs.is_array() || msgs.empty()) bad("messages", "'messages' must be a non-empty list");
  for (size_t i = 0; i < msgs.size(); ++i) {
    const std::string p = "messages[" + std::to_string(i) + "]";
    const json& m = msgs[i];
    if (!m.is_object() || !m.contains("role") || !m["role"].is_string()) bad(p, p + " must be an object with a string 'role'");
    const std::string role = m["role"].get<std::string>();
    if (role != "system" && role != "user" && role != "assistant" && role != "tool" && role != "developer")
      bad(p + ".role", "unknown role '" + role + "'");
    if (m.contains("content") && !m["content"].is_null() && !m["content"].is_string() && !m["content"].is_array())
      bad(p + ".content", p + ".content must be a string");
    if (!m.contains("content") && role != "assistant") bad(p + ".content", p + " has no 'content'");
  }
}

}  // namespace

GenRequest parse_request(const std::string& body, bool chat) {
  json j;
  try {
    j = json::parse(body);
  } catch (const json::exception& e) {
    throw ApiError{400, std::string("invalid JSON body: ") + e.what(), "invalid_request_error", "", "invalid_json"};
  }
  if (!j.is_object()) bad("", "the request body must be a JSON object", "invalid_json");
  GenRequest r;
  r.chat = chat;
  if (!present(j, "model") || !j["model"].is_string()) bad("model", "'model' is required and must be a string");
  r.model = j["model"].get<std::string>();
  if (chat) {
    if (!j.contains("messages")) bad("messages", "'messages' is required");
    parse_messages(j["messages"]);
    r.messages = j["messages"];
    // Content given as a list of parts: keep the text parts, joined (images are not supported).
    for (auto& m : r.messages)
      if (m.contains("content") && m["content"].is_array()) {
        std::string text;
        for (const auto& part : m["content"]) {
          if (!part.is_object() || part.value("type", "") != "text" || !part.contains("text") || !part["text"].is_string())
            bad("messages", "only text content parts are supported");
          text += part["text"].get<std::string>();
        }
        m["content"] = text;
      } else if (!m.contains("content")) {
        m["content"] = nullptr;
      }
    if (present(j, "tools")) {
      if (!j["tools"].is_array()) bad("tools", "'tools' must be a list");
      r.tools = j["tools"];
    }
  } else {
    if (!j.contains("prompt")) bad("prompt", "'prompt' is required");
    const json& p = j["prompt"];
    if (p.is_string()) {
      r.prompt_text = p.get<std::string>();
    } else if (p.is_array() && p.size() == 1 && p[0].is_string()) {
      r.prompt_text = p[0].get<std::string>();
    } else if (p.is_array() && !p.empty() && p[0].is_number_integer()) {
      for (const auto& t : p) {
        if (!t.is_number_integer()) bad("prompt", "a token prompt must be a list of integers");
        r.prompt_tokens.push_back(int32_t(t.get<int64_t>()));
      }
    } else {
      bad("prompt", "'prompt' must be a string, a list with one string, or a list of token ids");
    }
  }
  const char* max_key = present(j, "max_completion_tokens") ? "max_completion_tokens" : "max_tokens";
  if (present(j, max_key)) r.max_tokens = integer(j, max_key, 1, int64_t(1) << 30);
  if (present(j, "temperature")) r.sampler.temperature = float(number(j, "temperature", 0.0, 2.0));
  else r.sampler.temperature = 1.0f;  // OpenAI's default
  if (present(j, "top_p")) {
    r.sampler.top_p = float(number(j, "top_p", 0.0, 1.0));
    if (r.sampler.top_p <= 0.0f) bad("top_p", "'top_p' must be greater than 0");
  }
  if (present(j, "top_k")) r.sampler.top_k = integer(j, "top_k", 0, int64_t(1) << 30);
  if (present(j, "seed")) r.sampler.seed = uint64_t(integer(j, "seed", INT64_MIN, INT64_MAX));
  else r.sampler.seed = 0x5eed;
  if (present(j, "n") && integer(j, "n", 1, 128) != 1) bad("n", "only n = 1 is supported");
  if (present(j, "stop")) {
    const json& s = j["stop"];
    if (s.is_string()) r.stop.push_back(s.get<std::string>());
    else if (s.is_array() && s.size() <= 4) {
      for (const auto& e : s) {
        if (!e.is_string()) bad("stop", "'stop' must be a string or a list of up to 4 strings");
        r.stop.push_back(e.get<std::string>());
      }
    } else {
      bad("stop", "'stop' must be a string or a list of up to 4 strings");
    }
    for (const auto& s2 : r.stop)
      if (s2.empty()) bad("stop", "stop sequences must not be empty");
  }
  if (present(j, "stream")) {
    if (!j["stream"].is_boolean()) bad("stream", "'stream' must be true or false");
    r.stream = j["stream"].get<bool>();
  }
  if (present(j, "stream_options")) {
    const json& so = j["stream_options"];
    if (!so.is_object()) bad("stream_options", "'stream_options' must be an object");
    if (present(so, "include_usage")) {
      if (!so["include_usage"].is_boolean()) bad("stream_options.include_usage", "'include_usage' must be true or false");
      r.include_usage = so["include_usage"].get<bool>();
    }
  }
  return r;
}

}  // namespace r1::server
