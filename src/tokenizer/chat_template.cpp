#include "tokenizer/chat_template.h"

#include "core/error.h"
#include "tokenizer/jinja/jinja.h"
#include "tokenizer/tokenizer.h"

namespace r1::tok {

ChatTemplate::ChatTemplate(const Tokenizer& t) : ChatTemplate(t.config().chat_template, t) {}

ChatTemplate::ChatTemplate(const std::string& source, const Tokenizer& t) {
  require(!source.empty(), "the tokenizer has no chat_template (tokenizer_config.json)");
  tmpl_ = std::make_unique<jinja::Template>(source);
  const TokenizerConfig& c = t.config();
  // transformers passes the special tokens by name, as strings; absent ones stay undefined.
  for (const auto& [name, value] : {std::pair<const char*, const std::string*>{"bos_token", &c.bos_token},
                                    {"eos_token", &c.eos_token}, {"pad_token", &c.pad_token},
                                    {"unk_token", &c.unk_token}})
    if (!value->empty()) specials_[name] = *value;
}

ChatTemplate::~ChatTemplate() = default;

std::string ChatTemplate::render(const nlohmann::ordered_json& messages, bool add_generation_prompt,
                                 const nlohmann::ordered_json& tools) const {
  require(messages.is_array(), "messages must be a list");
  nlohmann::ordered_json ctx = specials_;
  ctx["messages"] = messages;
  ctx["add_generation_prompt"] = add_generation_prompt;
  ctx["tools"] = tools;             // transformers passes tools=None and documents=None when absent
  ctx["documents"] = nullptr;
  return tmpl_->render(ctx);
}

}  // namespace r1::tok
