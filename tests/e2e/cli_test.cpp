// The r1 binary end to end on tiny checkpoints: the stable CLI that scripts call.
#include <gtest/gtest.h>

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

}  // namespace
}  // namespace r1
