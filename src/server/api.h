// OpenAI request schema <-> r1 structs. Parsing validates every field OpenAI documents for
// /v1/chat/completions and /v1/completions and reports a bad one as an ApiError (HTTP 400 with the field in
// `param`), in OpenAI's error shape {"error": {"message", "type", "param", "code"}}.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "runtime/sampler.h"

namespace r1::server {

struct ApiError {
  int status = 400;
  std::string message, type = "invalid_request_error", param, code;
  std::string body() const;  // the JSON text
};

struct GenRequest {
  bool chat = false;
  std::string model;
  nlohmann::ordered_json messages;     // chat
  nlohmann::ordered_json tools;        // chat, optional (null when absent)
  std::string prompt_text;             // completions (text prompt)
  std::vector<int32_t> prompt_tokens;  // completions given as token ids
  std::optional<int64_t> max_tokens;
  SamplerParams sampler;
  std::vector<std::string> stop;
  bool stream = false, include_usage = false;
};

// Throws ApiError for anything invalid (bad JSON, wrong types, out-of-range values, n != 1).
GenRequest parse_request(const std::string& body, bool chat);

}  // namespace r1::server
