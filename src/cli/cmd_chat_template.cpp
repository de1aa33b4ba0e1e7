// r1 chat-template: render a conversation with the folder's chat template, byte for byte, no added newline.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "core/error.h"
#include "io/file_util.h"
#include "tokenizer/chat_template.h"
#include "tokenizer/tokenizer.h"

namespace r1::cli {

Action add_chat_template(CLI::App& app) {
  auto* cmd = app.add_subcommand("chat-template", "Render messages with the model's chat template (exactly, no added newline)");
  struct Opts { std::string model, messages, tools; bool gen = false; };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--model", o->model, "Folder with tokenizer.json and tokenizer_config.json")->required();
  cmd->add_option("--messages", o->messages,
                  "JSON file: a list of {role, content, ...} messages, or {\"messages\": [...], \"tools\": [...]}")
      ->required();
  cmd->add_option("--tools", o->tools, "JSON file with a list of tool (function) definitions");
  cmd->add_flag("--add-generation-prompt", o->gen, "End with the assistant's turn opening");
  return [o]() {
    nlohmann::ordered_json in;
    try {
      in = nlohmann::ordered_json::parse(read_file(o->messages));
    } catch (const nlohmann::json::exception& e) {
      throw Error(o->messages + ": invalid JSON: " + e.what());
    }
    nlohmann::ordered_json msgs = in, tools = nullptr;
    if (in.is_object()) {
      require(in.contains("messages"), o->messages + ": object without 'messages'");
      msgs = in["messages"];
      if (in.contains("tools")) tools = in["tools"];
    }
    require(msgs.is_array(), o->messages + ": 'messages' must be a list");
    if (!o->tools.empty()) {
      try {
        tools = nlohmann::ordered_json::parse(read_file(o->tools));
      } catch (const nlohmann::json::exception& e) {
        throw Error(o->tools + ": invalid JSON: " + e.what());
      }
    }
    const tok::Tokenizer t(o->model);
    const std::string s = tok::ChatTemplate(t).render(msgs, o->gen, tools);
    std::fwrite(s.data(), 1, s.size(), stdout);
    return 0;
  };
}

}  // namespace r1::cli
