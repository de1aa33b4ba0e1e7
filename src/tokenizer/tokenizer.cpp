#include "tokenizer/tokenizer.h"

#include <filesystem>

#include "core/error.h"
#include "io/file_util.h"
#include "tokenizer/byte_level.h"

namespace r1::tok {

using json = nlohmann::json;

namespace {

std::string token_content(const json& j) {  // tokenizer_config.json writes tokens as strings or AddedToken objects
  if (j.is_string()) return j.get<std::string>();
  if (j.is_object() && j.contains("content") && j["content"].is_string()) return j["content"].get<std::string>();
  return "";
}

json parse_json_file(const std::string& path) {
  try {
    return json::parse(read_file(path));
  } catch (const json::exception& e) {
    throw Error(path + ": invalid JSON: " + e.what());
  }
}

// Length of the valid UTF-8 sequence starting at s[i] (1..4), 0 if s[i..] is a valid but incomplete prefix
// running to the end, or -k if the first k bytes form a maximal invalid subpart.
int utf8_seq(std::string_view s, size_t i) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const unsigned char c = p[i];
  if (c < 0x80) return 1;
  int len;
  unsigned char lo = 0x80, hi = 0xbf;
  if (c >= 0xc2 && c <= 0xdf) len = 2;
  else if (c == 0xe0) { len = 3; lo = 0xa0; }
  else if (c >= 0xe1 && c <= 0xec) len = 3;
  else if (c == 0xed) { len = 3; hi = 0x9f; }
  else if (c >= 0xee && c <= 0xef) len = 3;
  else if (c == 0xf0) { len = 4; lo = 0x90; }
  else if (c >= 0xf1 && c <= 0xf3) len = 4;
  else if (c == 0xf4) { len = 4; hi = 0x8f; }
  else return -1;
  for (int k = 1; k < len; ++k) {
    if (i + size_t(k) >= s.size()) return 0;
    const unsigned char d = p[i + size_t(k)];
    if (d < (k == 1 ? lo : 0x80) || d > (k == 1 ? hi : 0xbf)) return -k;
  }
  return len;
}

}  // namespace

std::string utf8_lossy(std::string_view s, bool hold_incomplete, std::string* rest) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    const int n = utf8_seq(s, i);
    if (n > 0) {
      out.append(s.substr(i, size_t(n)));
      i += size_t(n);
    } else if (n == 0) {
      if (hold_incomplete && rest) {
        *rest = std::string(s.substr(i));
        return out;
      }
      out += "\xEF\xBF\xBD";
      break;
    } else {
      out += "\xEF\xBF\xBD";
      i += size_t(-n);
    }
  }
  if (rest) rest->clear();
  return out;
}

Tokenizer::Tokenizer(const std::string& dir) {
  const std::string path = (std::filesystem::path(dir) / "tokenizer.json").string();
  const json j = parse_json_file(path);
  require(j.is_object(), path + ": not a JSON object");
  require(j.contains("model") && j["model"].is_object(), path + ": missing object 'model'");
  const json& model = j["model"];
  const std::string type = model.contains("type") && model["type"].is_string() ? model["type"].get<std::string>() : "";
  require(!type.empty() || (model.contains("merges") && model.contains("vocab")),
          path + ": model.type is missing");
  if (!type.empty() && type != "BPE")
    throw Error(path + ": model.type '" + type + "' is not supported (only BPE)");
  bpe_ = std::make_unique<Bpe>(model, path);
  if (j.contains("normalizer") && !j["normalizer"].is_null()) {
    // NFC (Qwen2's), or a Sequence of NFCs; an empty Sequence is no normalizer.
    const json& n = j["normalizer"];
    const std::string type = n.value("type", "?");
    if (type == "NFC") {
      norm_.set_nfc();
    } else if (type == "Sequence" && n.contains("normalizers") && n["normalizers"].is_array()) {
      for (const json& e : n["normalizers"]) {
        const std::string t = e.is_object() ? e.value("type", "?") : "?";
        if (t != "NFC") throw Error(path + ": normalizer '" + t + "' is not supported (only NFC)");
        norm_.set_nfc();
      }
    } else {
      throw Error(path + ": normalizer '" + type + "' is not supported (only NFC)");
    }
  }
  pre_ = make_pre_tokenizer(j.value("pre_tokenizer", json()), path);
  if (j.contains("decoder") && !j["decoder"].is_null() && j["decoder"].value("type", "") != "ByteLevel")
    throw Error(path + ": decoder '" + j["decoder"].value("type", "?") + "' is not supported (only ByteLevel)");
  if (j.contains("post_processor") && !j["post_processor"].is_null()) {
    // Applied by Hugging Face only with add_special_tokens; r1's encode() is tokenizer.json's plain encoding and
    // adds BOS on request (--add-bos), as tokenizer_config.json's add_bos_token asks. Known kinds are accepted.
    const std::string pp = j["post_processor"].value("type", "");
    if (pp != "ByteLevel" && pp != "TemplateProcessing" && pp != "Sequence" && pp != "BertProcessing" && pp != "RobertaProcessing")
      throw Error(path + ": post_processor '" + pp + "' is not supported");
  }
  added_.load(j.value("added_tokens", json::array()), path);

  for (const auto& [s, id] : bpe_->vocab()) vocab_size_ = std::max(vocab_size_, id + 1);
  for (const auto& t : added_.all()) vocab_size_ = std::max(vocab_size_, t.id + 1);
  id_to_token_.assign(size_t(vocab_size_), "");
  for (const auto& [s, id] : bpe_->vocab()) id_to_token_[size_t(id)] = s;

  const std::string cfg_path = (std::filesystem::path(dir) / "tokenizer_config.json").string();
  if (std::filesystem::exists(cfg_path)) {
    const json c = parse_json_file(cfg_path);
    cfg_.bos_token = token_content(c.value("bos_token", json()));
    cfg_.eos_token = token_content(c.value("eos_token", json()));
    cfg_.pad_token = token_content(c.value("pad_token", json()));
    cfg_.unk_token = token_content(c.value("unk_token", json()));
    cfg_.add_bos_token = c.value("add_bos_token", false);
    cfg_.add_eos_token = c.value("add_eos_token", false);
    if (c.contains("chat_template")) {
      const json& t = c["chat_template"];
      if (t.is_string()) cfg_.chat_template = t.get<std::string>();
      else if (t.is_array())  // list of {name, template}: use "default"
        for (const auto& e : t)
          if (e.value("name", "") == "default") cfg_.chat_template = e.value("template", "");
    }
    if (!cfg_.bos_token.empty()) bos_id_ = token_id(cfg_.bos_token);
    if (!cfg_.eos_token.empty()) eos_id_ = token_id(cfg_.eos_token);
  }
}

Tokenizer::~Tokenizer() = default;

int32_t Tokenizer::token_id(const std::string& content) const {
  const int32_t a = added_.id_of(content);
  return a >= 0 ? a : bpe_->token_id(content);
}

bool Tokenizer::is_special(int32_t id) const {
  const AddedToken* t = added_.by_id(id);
  return t && t->special;
}

void Tokenizer::encode_text(std::string_view text, std::vector<int32_t>* out) const {
  std::vector<std::string> pieces{norm_.apply(text)};
  if (pre_) pre_->split(&pieces);
  const bool byte_level = pre_ && pre_->byte_level();
  for (const auto& p : pieces) {
    if (byte_level) {
      bpe_->encode_word(p, out);
    } else {
      std::string mapped;
      bytes_to_unicode(p, &mapped);  // byte-level vocabularies spell bytes in the mapped alphabet
      bpe_->encode_word(mapped, out);
    }
  }
}

std::vector<int32_t> Tokenizer::encode(std::string_view text, bool add_bos) const {
  for (size_t i = 0; i < text.size();) {
    const int n = utf8_seq(text, i);
    if (n <= 0) throw Error("tokenize: input is not valid UTF-8 (byte offset " + std::to_string(i) + ")");
    i += size_t(n);
  }
  std::vector<int32_t> ids;
  if (add_bos) {
    require(bos_id_ >= 0, "tokenize: --add-bos but the tokenizer has no bos_token");
    ids.push_back(bos_id_);
  }
  for (const auto& [seg, id] : added_.split(text)) {
    if (id >= 0) ids.push_back(id);
    else encode_text(seg, &ids);
  }
  return ids;
}

std::string Tokenizer::token_text(int32_t id) const {
  if (const AddedToken* t = added_.by_id(id)) return t->content;
  require(id >= 0 && id < vocab_size_ && !id_to_token_[size_t(id)].empty(),
          "token id " + std::to_string(id) + " is not in the vocabulary");
  return id_to_token_[size_t(id)];
}

bool Tokenizer::has_token(int32_t id) const {
  return added_.by_id(id) || (id >= 0 && id < vocab_size_ && !id_to_token_[size_t(id)].empty());
}

std::string Tokenizer::token_bytes(int32_t id) const {
  if (!has_token(id)) return "";  // ids the tokenizer does not know decode to nothing, as in tokenizers
  const std::string t = token_text(id);
  // = tokenizers' ByteLevel decoder: map every character back to its byte; a token with a character outside
  // the byte alphabet is taken as its raw UTF-8 (added tokens such as <｜User｜>).
  std::string out;
  size_t i = 0;
  while (i < t.size()) {
    const int32_t cp = next_codepoint(t, &i);
    const int b = cp < 0 ? -1 : unicode_to_byte(uint32_t(cp));
    if (b < 0) return t;
    out.push_back(char(b));
  }
  return out;
}

std::string Tokenizer::decode(const std::vector<int32_t>& ids, bool skip_special) const {
  std::string bytes;
  for (int32_t id : ids) {
    if (skip_special && is_special(id)) continue;
    bytes += token_bytes(id);
  }
  return utf8_lossy(bytes);
}

std::string StreamDecoder::push(int32_t id) {
  if (skip_special_ && t_.is_special(id)) return "";
  pending_ += t_.token_bytes(id);
  std::string rest;
  std::string out = utf8_lossy(pending_, true, &rest);
  pending_ = std::move(rest);
  return out;
}

std::string StreamDecoder::flush() {
  std::string out = utf8_lossy(pending_);
  pending_.clear();
  return out;
}

void copy_tokenizer_files(const std::string& from, const std::string& to) {
  for (const char* f : {"tokenizer.json", "tokenizer_config.json"}) {
    const std::filesystem::path src = std::filesystem::path(from) / f;
    if (std::filesystem::exists(src)) write_file_atomic((std::filesystem::path(to) / f).string(), read_file(src.string()));
  }
}

}  // namespace r1::tok
