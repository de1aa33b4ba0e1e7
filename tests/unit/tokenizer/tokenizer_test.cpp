// Tokenizer pieces on hand-made tokenizer.json files: BPE merge order, added-token flags, decoding, errors.
#include "tokenizer/tokenizer.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "testutil.h"
#include "tokenizer/byte_level.h"

namespace r1::tok {
namespace {

using json = nlohmann::json;

// A small byte-level BPE: single characters a b c d Ġ(space) and some merges.
json tiny_tokenizer() {
  json vocab = {{"a", 0}, {"b", 1}, {"c", 2}, {"d", 3}, {"Ġ", 4}, {"ab", 5}, {"bc", 6}, {"abc", 7}, {"Ġa", 8}, {"cd", 9}};
  return {{"version", "1.0"},
          {"added_tokens",
           {{{"id", 10}, {"content", "<s>"}, {"special", true}},
            {{"id", 11}, {"content", "<sep>"}, {"special", true}, {"lstrip", true}, {"rstrip", true}},
            {{"id", 12}, {"content", "<sepx>"}, {"special", false}}}},
          {"normalizer", nullptr},
          {"pre_tokenizer",
           {{"type", "Sequence"},
            {"pretokenizers",
             {{{"type", "Split"}, {"pattern", {{"Regex", "\\s+(?!\\S)|\\s*\\S+"}}}, {"behavior", "Isolated"}},
              {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", false}}}}}},
          {"decoder", {{"type", "ByteLevel"}}},
          {"model", {{"type", "BPE"}, {"vocab", vocab}, {"merges", {"b c", "a b", "ab c", "Ġ a", "c d"}}}}};
}

std::string write_tok(const test::TempDir& d, const json& j) {
  test::write_text(d / "tokenizer.json", j.dump());
  return d.path();
}

TEST(Bpe, MergesByRankNotByPosition) {
  test::TempDir d;
  const Tokenizer t(write_tok(d, tiny_tokenizer()));
  // "abc": "b c" (rank 0) beats "a b" (rank 1), then no merge "a bc" exists -> [a, bc]
  EXPECT_EQ(t.encode("abc"), (std::vector<int32_t>{0, 6}));
  EXPECT_EQ(t.encode("abcd"), (std::vector<int32_t>{0, 6, 3}));  // "c d" would need c, taken by "b c"
  EXPECT_EQ(t.encode("ab a"), (std::vector<int32_t>{5, 8}));
  EXPECT_EQ(t.encode(""), (std::vector<int32_t>{}));
}

TEST(Bpe, PairFormMergesAndLongWords) {
  test::TempDir d;
  json j = tiny_tokenizer();
  j["model"]["merges"] = json::array({json::array({"a", "b"}), json::array({"ab", "c"})});
  const Tokenizer t(write_tok(d, j));
  EXPECT_EQ(t.encode("abc"), (std::vector<int32_t>{7}));
  std::string w;
  for (int i = 0; i < 3000; ++i) w += "abc";
  EXPECT_EQ(t.encode(w).size(), 3000u);  // a long word stays fast (heap merge) and exact
}

TEST(AddedTokens, CutFirstWithStripFlags) {
  test::TempDir d;
  const Tokenizer t(write_tok(d, tiny_tokenizer()));
  EXPECT_EQ(t.encode("<s>ab"), (std::vector<int32_t>{10, 5}));
  EXPECT_EQ(t.encode("ab  <sep>  ab"), (std::vector<int32_t>{5, 11, 5}));  // lstrip/rstrip take the spaces
  EXPECT_EQ(t.encode("<sepx>"), (std::vector<int32_t>{12}));            // longest match wins
  EXPECT_THROW(t.encode("ab", true), Error);  // no tokenizer_config.json, so no bos_token to add
}

TEST(Decode, ByteLevelRoundTripAndSpecials) {
  test::TempDir d;
  const Tokenizer t(write_tok(d, tiny_tokenizer()));
  EXPECT_EQ(t.decode({10, 5, 4, 2}), "<s>ab c");
  EXPECT_EQ(t.decode({10, 5}, true), "ab");
  EXPECT_EQ(t.decode({5, 99, 5}), "abab");  // unknown ids are skipped, as Hugging Face does
  EXPECT_THROW(t.token_text(99), Error);
}

TEST(Utf8Lossy, MaximalSubpartsBecomeOneReplacementEach) {
  const std::string R = "\xEF\xBF\xBD";
  EXPECT_EQ(utf8_lossy("ok"), "ok");
  EXPECT_EQ(utf8_lossy("\xF0\x9F\x98"), R);                 // truncated 4-byte sequence: one U+FFFD
  EXPECT_EQ(utf8_lossy("\xC0\x80"), R + R);                 // overlong lead byte and a lone continuation
  EXPECT_EQ(utf8_lossy("a\xED\xA0\x80z"), "a" + R + R + R + "z");  // surrogates are invalid byte by byte
  EXPECT_EQ(utf8_lossy("\xE2\x82"), R);
  std::string rest;
  EXPECT_EQ(utf8_lossy("x\xF0\x9F\x98", true, &rest), "x");
  EXPECT_EQ(rest, "\xF0\x9F\x98");
}

TEST(StreamDecoder, HoldsBackSplitCharacters) {
  // A vocabulary of single bytes: an emoji arrives as four tokens.
  json j = tiny_tokenizer();
  json vocab = json::object();
  for (int b = 0; b < 256; ++b) vocab[byte_to_unicode(uint8_t(b))] = b;
  j["model"]["vocab"] = vocab;
  j["model"]["merges"] = json::array();
  j["added_tokens"] = json::array();
  test::TempDir d;
  const Tokenizer t(write_tok(d, j));
  const std::string emoji = "\xF0\x9F\x98\x80";
  StreamDecoder s(t);
  EXPECT_EQ(s.push(0xF0), "");
  EXPECT_EQ(s.push(0x9F), "");
  EXPECT_EQ(s.push(0x98), "");
  EXPECT_EQ(s.push(0x80), emoji);
  EXPECT_EQ(s.push('a'), "a");
  EXPECT_EQ(s.push(0xFF), "\xEF\xBF\xBD");  // invalid byte: replaced at once, never a crash
  EXPECT_EQ(s.push(0xE2), "");
  EXPECT_EQ(s.flush(), "\xEF\xBF\xBD");
}

std::string load_error(const json& j) {
  test::TempDir d;
  try {
    Tokenizer t(write_tok(d, j));
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(BadTokenizerJson, ClearErrors) {
  json j = tiny_tokenizer();
  j["model"].erase("type");
  j["model"].erase("merges");
  EXPECT_NE(load_error(j).find("model.type is missing"), std::string::npos);
  j = tiny_tokenizer();
  j["model"]["type"] = "Unigram";
  EXPECT_NE(load_error(j).find("model.type 'Unigram' is not supported"), std::string::npos);
  j = tiny_tokenizer();
  j["model"]["merges"].push_back("a zz");
  EXPECT_NE(load_error(j).find("names unknown token 'zz'"), std::string::npos);
  j = tiny_tokenizer();
  j["pre_tokenizer"]["pretokenizers"][0]["pattern"]["Regex"] = "(unclosed";
  EXPECT_NE(load_error(j).find("regex '(unclosed' does not compile"), std::string::npos);
  j = tiny_tokenizer();
  j["pre_tokenizer"] = {{"type", "Metaspace"}};
  EXPECT_NE(load_error(j).find("pre_tokenizer type 'Metaspace' is not supported"), std::string::npos);
  test::TempDir d;
  test::write_text(d / "tokenizer.json", "{\"model\": ");
  try {
    Tokenizer t(d.path());
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("tokenizer.json: invalid JSON"), std::string::npos);
  }
}

TEST(Tokenizer, RejectsInvalidUtf8Input) {
  test::TempDir d;
  const Tokenizer t(write_tok(d, tiny_tokenizer()));
  EXPECT_THROW(t.encode("a\xFF"), Error);
}

}  // namespace
}  // namespace r1::tok
