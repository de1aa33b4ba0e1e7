// The r1 binary end to end on tiny checkpoints: the stable CLI that scripts call.
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "testutil.h"

namespace r1 {
namespace {

class Cli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir();
    ASSERT_EQ(test::run_r1("init --config tiny-v3 --out " + (*dir_ / "v3") + " --seed 3").exit_code, 0);
  }
  static void TearDownTestSuite() { delete dir_; }
  static std::string model() { return *dir_ / "v3"; }
  static test::TempDir* dir_;
};
test::TempDir* Cli::dir_ = nullptr;

TEST_F(Cli, HelpExplainsEveryCommand) {
  const auto r = test::run_r1("--help");
  EXPECT_EQ(r.exit_code, 0);
  for (const char* cmd : {"init", "info", "logits", "generate"}) EXPECT_NE(r.out.find(cmd), std::string::npos) << cmd;
  const auto g = test::run_r1("generate --help");
  for (const char* flag : {"--model", "--tokens", "--max-tokens", "--temperature", "--top-p", "--top-k", "--seed",
                           "--ignore-eos", "--json"})
    EXPECT_NE(g.out.find(flag), std::string::npos) << flag;
}

TEST_F(Cli, LogitsPrintsOneJsonObject) {
  const auto r = test::run_r1("logits --model " + model() + " --tokens 0,17,5");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["logits"].size(), 640u);
}

TEST_F(Cli, GenerateJsonIsReproducible) {
  const std::string args = "generate --model " + model() + " --tokens 0,17,5 --max-tokens 8 --ignore-eos --json";
  const auto greedy = test::run_r1(args);
  ASSERT_EQ(greedy.exit_code, 0) << greedy.err;
  const auto j = nlohmann::json::parse(greedy.out);
  EXPECT_EQ(j["tokens"].size(), 8u);
  EXPECT_EQ(j["finish_reason"], "length");
  const auto s1 = test::run_r1(args + " --temperature 0.9 --top-p 0.9 --top-k 50 --seed 11");
  const auto s2 = test::run_r1(args + " --temperature 0.9 --top-p 0.9 --top-k 50 --seed 11");
  ASSERT_EQ(s1.exit_code, 0) << s1.err;
  EXPECT_EQ(nlohmann::json::parse(s1.out)["tokens"], nlohmann::json::parse(s2.out)["tokens"]);
}

// --spec mtp: the same greedy tokens, the acceptance in --json and -v; clear errors for a bad value and for a
// checkpoint without an MTP module.
TEST_F(Cli, SpeculativeDecodingFlag) {
  const std::string args = "generate --model " + model() + " --tokens 0,17,5 --max-tokens 8 --ignore-eos --json";
  const auto plain = test::run_r1(args);
  const auto spec = test::run_r1(args + " --spec mtp -v");
  ASSERT_EQ(spec.exit_code, 0) << spec.err;
  const auto j = nlohmann::json::parse(spec.out);
  EXPECT_EQ(j["tokens"], nlohmann::json::parse(plain.out)["tokens"]);
  EXPECT_GT(j["speculative"]["drafted"].get<int>(), 0);
  EXPECT_NE(spec.err.find("MTP drafts accepted"), std::string::npos) << spec.err;
  const auto bad = test::run_r1(args + " --spec maybe");
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE((bad.out + bad.err).find("--spec: must be none or mtp, got 'maybe'"), std::string::npos) << bad.err;
  test::TempDir d;
  ASSERT_EQ(test::run_r1("init --config tiny-v2 --out " + d.path() + " --seed 1").exit_code, 0);
  const auto none = test::run_r1("generate --model " + d.path() + " --tokens 0,17,5 --spec mtp");
  EXPECT_NE(none.exit_code, 0);
  EXPECT_NE(none.err.find("no MTP module in the checkpoint"), std::string::npos) << none.err;
}

// --cache-type f32|bf16|fp8 on generate (plain and speculative), chat, serve and bench; a bad value is a CLI11
// validation error naming it; bench reports the cache bytes per token of the chosen type.
TEST_F(Cli, CacheTypeFlag) {
  const std::string args = "generate --model " + model() + " --tokens 0,17,5 --max-tokens 8 --ignore-eos --json";
  for (const char* t : {"f32", "bf16", "fp8"}) {
    const auto r = test::run_r1(args + " --cache-type " + t);
    ASSERT_EQ(r.exit_code, 0) << t << ": " << r.err;
    EXPECT_EQ(nlohmann::json::parse(r.out)["tokens"].size(), 8u) << t;
    const auto spec = test::run_r1(args + " --spec mtp --cache-type " + t);
    ASSERT_EQ(spec.exit_code, 0) << t << ": " << spec.err;
    // Speculative decoding verifies against the same rounded cache: the same greedy tokens as plain decoding.
    EXPECT_EQ(nlohmann::json::parse(spec.out)["tokens"], nlohmann::json::parse(r.out)["tokens"]) << t;
  }
  for (const std::string cmd : {"generate --tokens 0,17,5", "chat", "serve", "bench"}) {
    const auto bad = test::run_r1(cmd.substr(0, cmd.find(' ')) + " --model " + model() +
                                  (cmd.find(' ') == std::string::npos ? "" : cmd.substr(cmd.find(' '))) +
                                  " --cache-type bogus");
    EXPECT_NE(bad.exit_code, 0) << cmd;
    EXPECT_NE((bad.out + bad.err).find("--cache-type: must be f32, bf16 or fp8, got 'bogus'"), std::string::npos)
        << cmd << ": " << bad.err;
  }
  const auto bench = test::run_r1("bench --model " + model() + " -p 4 -n 2 -r 1 --cache-type fp8");
  ASSERT_EQ(bench.exit_code, 0) << bench.err;
  EXPECT_NE(bench.out.find("kv cache fp8 ("), std::string::npos) << bench.out;
  EXPECT_NE(bench.out.find("| tg2 |"), std::string::npos) << bench.out;  // the table compare.sh reads is unchanged
  const auto json = test::run_r1("bench --model " + model() + " -p 0 -n 2 -r 1 --json --cache-type bf16");
  ASSERT_EQ(json.exit_code, 0) << json.err;
  const auto j = nlohmann::json::parse(json.out);
  EXPECT_EQ(j["cache_type"], "bf16");
  EXPECT_GT(j["cache_bytes_per_token"].get<int64_t>(), 0);
  EXPECT_EQ(j["test"], "tg2");
  test::TempDir d;  // the R1-Distill (GQA) family caches keys and values in the same storage types
  ASSERT_EQ(test::run_r1("init --config tiny-qwen2 --out " + d.path() + " --seed 1").exit_code, 0);
  const auto gqa = test::run_r1("generate --model " + d.path() + " --tokens 0,17,5 --max-tokens 4 --cache-type fp8");
  EXPECT_EQ(gqa.exit_code, 0) << gqa.err;
}

TEST_F(Cli, InfoReportsParametersAndCache) {
  const auto r = test::run_r1("info --model " + model() + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["architecture"], "DeepseekV3ForCausalLM");
  EXPECT_EQ(j["kv_bytes_per_token_layer"], (72 + 16) * 4);
  EXPECT_EQ(j["mha_kv_bytes_per_token_layer"], 4 * (48 + 32) * 4);
  EXPECT_LT(j["params_active"].get<int64_t>(), j["params_total"].get<int64_t>());
}

TEST_F(Cli, InitIsDeterministic) {
  test::TempDir d;
  ASSERT_EQ(test::run_r1("init --config tiny-v3 --out " + (d / "a") + " --seed 3").exit_code, 0);
  EXPECT_EQ(test::read_text(d / "a/model.safetensors"), test::read_text(model() + "/model.safetensors"));
}

TEST_F(Cli, TokenizeDetokenizeRoundTrip) {
  const std::string utf8 = "héllo <｜User｜> 12345";
  test::TempDir d;
  test::write_text(d / "in.txt", utf8);
  const auto r = test::run_r1("tokenize --model " + model() + " --json", d / "in.txt");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto ids = nlohmann::json::parse(r.out)["ids"].get<std::vector<int>>();
  EXPECT_NE(std::find(ids.begin(), ids.end(), 3), ids.end());  // <｜User｜> is one special token (id 3)
  std::string list;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i) list += ',';
    list += std::to_string(ids[i]);
  }
  const auto back = test::run_r1("detokenize --model " + model() + " --ids " + list);
  ASSERT_EQ(back.exit_code, 0) << back.err;
  EXPECT_EQ(back.out, utf8);  // exactly, no added newline
  const auto bos = test::run_r1("tokenize --model " + model() + " --add-bos --text hi --json");
  EXPECT_EQ(nlohmann::json::parse(bos.out)["ids"][0], 0);
}

TEST_F(Cli, ChatTemplatePrintsExactlyTheRender) {
  test::TempDir d;
  test::write_text(d / "m.json", R"([{"role":"system","content":"S"},{"role":"user","content":"Q"},)"
                                  R"({"role":"assistant","content":"<think>r</think>A"},{"role":"user","content":"Q2"}])");
  const auto r = test::run_r1("chat-template --model " + model() + " --messages " + (d / "m.json") +
                              " --add-generation-prompt");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "<｜begin▁of▁sentence｜>S<｜User｜>Q<｜Assistant｜>A<｜end▁of▁sentence｜><｜User｜>Q2<｜Assistant｜>");
}

TEST_F(Cli, GenerateFromTextAndChat) {
  const auto p = test::run_r1("generate --model " + model() + " --prompt 'the answer' --max-tokens 5 --ignore-eos --json");
  ASSERT_EQ(p.exit_code, 0) << p.err;
  const auto j = nlohmann::json::parse(p.out);
  EXPECT_EQ(j["tokens"].size(), 5u);
  EXPECT_TRUE(j.contains("text") && j.contains("reasoning_content") && j.contains("content"));
  const auto c = test::run_r1("generate --model " + model() + " --chat --prompt hi --system be-brief --max-tokens 3 --ignore-eos --json");
  ASSERT_EQ(c.exit_code, 0) << c.err;
  EXPECT_GT(nlohmann::json::parse(c.out)["prompt_tokens"].get<int>(), 5);
}

TEST_F(Cli, BadTemplateAndTokenizerFilesAreClearErrors) {
  test::TempDir d;
  ASSERT_EQ(test::run_r1("init --config tiny-v2-lite --out " + (d / "m") + " --seed 1").exit_code, 0);
  auto cfg = nlohmann::json::parse(test::read_text(d / "m/tokenizer_config.json"));
  cfg["chat_template"] = "{% for m in messages %}{{ m.content }}{% endfor %}{% macro_x %}";
  test::write_text(d / "m/tokenizer_config.json", cfg.dump());
  test::write_text(d / "msgs.json", R"([{"role":"user","content":"x"}])");
  const auto r = test::run_r1("chat-template --model " + (d / "m") + " --messages " + (d / "msgs.json"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("chat template line 1:"), std::string::npos) << r.err;
  auto tok = nlohmann::json::parse(test::read_text(d / "m/tokenizer.json"));
  tok["model"]["type"] = "WordPiece";
  test::write_text(d / "m/tokenizer.json", tok.dump());
  const auto t = test::run_r1("tokenize --model " + (d / "m") + " --text hi");
  EXPECT_EQ(t.exit_code, 1);
  EXPECT_NE(t.err.find("model.type 'WordPiece' is not supported"), std::string::npos) << t.err;
}

}  // namespace
}  // namespace r1
