// r1 tokenize / r1 detokenize: text <-> ids with the model folder's tokenizer.json.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "tokenizer/tokenizer.h"

namespace r1::cli {

namespace {

std::string read_stdin() {
  std::string s((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  return s;
}

void print(const std::string& s) { std::fwrite(s.data(), 1, s.size(), stdout); }

}  // namespace

Action add_tokenize(CLI::App& app) {
  auto* cmd = app.add_subcommand("tokenize", "Print the token ids of a text (all of stdin, or --text)");
  struct Opts {
    std::string model;
    std::optional<std::string> text;
    bool json = false, pieces = false, add_bos = false;
    int bench = 0;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--model", o->model, "Folder with tokenizer.json (and tokenizer_config.json)")->required();
  cmd->add_option("--text", o->text, "Text to tokenize instead of stdin");
  cmd->add_flag("--json", o->json, "Print {\"ids\":[...]}");
  cmd->add_flag("--pieces", o->pieces, "Also show the text of every token");
  cmd->add_flag("--add-bos", o->add_bos, "Prepend the BOS token (tokenizer.json's encoding alone adds none)");
  cmd->add_option("--bench", o->bench, "Encode the input N times and print encoding MB/s (median) instead of ids");
  return [o]() {
    const tok::Tokenizer t(o->model);
    const std::string text = o->text ? *o->text : read_stdin();
    if (o->bench > 0) {
      std::vector<double> secs;
      size_t n_ids = 0;
      for (int i = 0; i < o->bench; ++i) {
        // A fresh tokenizer per repeat would time the load; instead the word cache is part of the measurement,
        // as it is in real use. The first repeat is the cold one.
        const auto t0 = std::chrono::steady_clock::now();
        n_ids = t.encode(text).size();
        secs.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
      }
      const double cold = secs[0];
      std::sort(secs.begin(), secs.end());
      const double med = secs[secs.size() / 2];
      std::printf("{\"bytes\":%zu,\"ids\":%zu,\"repeats\":%d,\"cold_mb_per_s\":%.2f,\"median_mb_per_s\":%.2f}\n",
                  text.size(), n_ids, o->bench, double(text.size()) / cold / 1e6, double(text.size()) / med / 1e6);
      return 0;
    }
    const std::vector<int32_t> ids = t.encode(text, o->add_bos);
    if (o->json) {
      nlohmann::json j;
      j["ids"] = ids;
      if (o->pieces) {
        j["pieces"] = nlohmann::json::array();
        for (int32_t id : ids) j["pieces"].push_back(tok::utf8_lossy(t.token_bytes(id)));
      }
      print(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
    } else if (o->pieces) {
      for (int32_t id : ids) print(std::to_string(id) + "\t" + nlohmann::json(tok::utf8_lossy(t.token_bytes(id))).dump() + "\n");
    } else {
      std::string s;
      for (size_t i = 0; i < ids.size(); ++i) s += (i ? "," : "") + std::to_string(ids[i]);
      print(s + "\n");
    }
    return 0;
  };
}

Action add_detokenize(CLI::App& app) {
  auto* cmd = app.add_subcommand("detokenize", "Print the text of token ids (--ids, or ids on stdin), exactly");
  struct Opts { std::string model; std::optional<std::string> ids; bool skip_special = false, json = false; };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--model", o->model, "Folder with tokenizer.json")->required();
  cmd->add_option("--ids", o->ids, "Comma-separated ids (default: read from stdin, commas or whitespace)");
  cmd->add_flag("--skip-special", o->skip_special, "Leave out special tokens");
  cmd->add_flag("--json", o->json, "Print {\"text\":\"...\"}");
  return [o]() {
    const tok::Tokenizer t(o->model);
    std::string s = o->ids ? *o->ids : read_stdin();
    for (auto& c : s)
      if (c == ' ' || c == '\n' || c == '\t' || c == '\r') c = ',';
    while (!s.empty() && s.back() == ',') s.pop_back();
    while (!s.empty() && s.front() == ',') s.erase(s.begin());
    std::string compact;
    for (size_t i = 0; i < s.size(); ++i)
      if (!(s[i] == ',' && i + 1 < s.size() && s[i + 1] == ',')) compact += s[i];
    const std::vector<int32_t> ids = compact.empty() ? std::vector<int32_t>{} : parse_token_list(compact);
    const std::string text = t.decode(ids, o->skip_special);
    print(o->json ? nlohmann::json{{"text", text}}.dump() + "\n" : text);
    return 0;
  };
}

}  // namespace r1::cli
