#include "server/api.h"

#include <gtest/gtest.h>

namespace r1::server {
namespace {

ApiError error_of(const std::string& body, bool chat) {
  try {
    parse_request(body, chat);
  } catch (const ApiError& e) {
    return e;
  }
  return ApiError{0, "no error", "", "", ""};
}

TEST(Api, ParsesAChatRequest) {
  const GenRequest g = parse_request(
      R"({"model":"m","messages":[{"role":"system","content":"s"},{"role":"user","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]}],)"
      R"("max_completion_tokens":7,"temperature":0,"top_p":0.5,"top_k":3,"seed":9,"stop":["x","y"],"stream":true,)"
      R"("stream_options":{"include_usage":true}})",
      true);
  EXPECT_EQ(g.model, "m");
  EXPECT_EQ(g.messages[1]["content"], "ab");
  EXPECT_EQ(*g.max_tokens, 7);
  EXPECT_EQ(g.sampler.temperature, 0.0f);
  EXPECT_EQ(g.sampler.top_k, 3);
  EXPECT_EQ(g.sampler.seed, 9u);
  EXPECT_EQ(g.stop, (std::vector<std::string>{"x", "y"}));
  EXPECT_TRUE(g.stream && g.include_usage);
}

TEST(Api, ParsesCompletionPrompts) {
  EXPECT_EQ(parse_request(R"({"model":"m","prompt":"hi","stop":"\n"})", false).prompt_text, "hi");
  EXPECT_EQ(parse_request(R"({"model":"m","prompt":[1,2,3]})", false).prompt_tokens, (std::vector<int32_t>{1, 2, 3}));
  EXPECT_EQ(parse_request(R"({"model":"m","prompt":"hi"})", false).sampler.temperature, 1.0f);  // OpenAI default
}

TEST(Api, RejectsBadFieldsWithTheirNames) {
  EXPECT_EQ(error_of("{nope", true).code, "invalid_json");
  EXPECT_EQ(error_of(R"({"messages":[{"role":"user","content":"x"}]})", true).param, "model");
  EXPECT_EQ(error_of(R"({"model":"m","messages":[]})", true).param, "messages");
  EXPECT_EQ(error_of(R"({"model":"m","messages":[{"role":"robot","content":"x"}]})", true).param, "messages[0].role");
  EXPECT_EQ(error_of(R"({"model":"m","prompt":"x","temperature":"hot"})", false).param, "temperature");
  EXPECT_EQ(error_of(R"({"model":"m","prompt":"x","temperature":3})", false).param, "temperature");
  EXPECT_EQ(error_of(R"({"model":"m","prompt":"x","max_tokens":0})", false).param, "max_tokens");
  EXPECT_EQ(error_of(R"({"model":"m","prompt":"x","max_tokens":1.5})", false).param, "max_tokens");
  EXPECT_EQ(error_of(R"({"model":"m","prompt":"x","n":2})", false).param, "n");
  EXPECT_EQ(error_of(R"({"model":"m","prompt":"x","stop":["a","b","c","d","e"]})", false).param, "stop");
  EXPECT_EQ(error_of(R"({"model":"m","prompt":"x","stream":"yes"})", false).param, "stream");
  EXPECT_EQ(error_of(R"({"model":"m","prompt":{"a":1}})", false).param, "prompt");
  EXPECT_EQ(error_of(R"([1,2])", false).status, 400);
  const ApiError e = error_of(R"({"model":"m","prompt":"x","top_p":0})", false);
  EXPECT_EQ(e.status, 400);
  EXPECT_NE(e.body().find("\"param\":\"top_p\""), std::string::npos);
}

}  // namespace
}  // namespace r1::server
