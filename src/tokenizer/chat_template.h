// Renders a conversation with the chat template of tokenizer_config.json, as transformers'
// apply_chat_template does: the Jinja template runs (tokenizer/jinja) with `messages`,
// `add_generation_prompt`, `tools` (when given) and the special tokens (`bos_token`, `eos_token`, ...) as text.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

namespace r1::jinja {
class Template;
}

namespace r1::tok {

class Tokenizer;

class ChatTemplate {
 public:
  // Throws r1::Error when the tokenizer has no chat_template or the template does not parse.
  explicit ChatTemplate(const Tokenizer& t);
  ChatTemplate(const std::string& source, const Tokenizer& t);
  ~ChatTemplate();

  std::string render(const nlohmann::ordered_json& messages, bool add_generation_prompt,
                     const nlohmann::ordered_json& tools = nullptr) const;

 private:
  std::unique_ptr<jinja::Template> tmpl_;
  nlohmann::ordered_json specials_;
};

}  // namespace r1::tok
