#include "tokenizer/pretokenizer.h"

#include "core/error.h"
#include "tokenizer/byte_level.h"
#include "tokenizer/regex.h"

namespace r1::tok {

namespace {

enum class Behavior { Isolated, Removed, MergedWithPrevious, MergedWithNext, Contiguous };

// The pieces of `s` cut at the matches [b, e), as (text, is_match), covering s left to right.
std::vector<std::pair<std::string, bool>> cut(const std::string& s, const std::vector<std::pair<size_t, size_t>>& m) {
  std::vector<std::pair<std::string, bool>> out;
  size_t prev = 0;
  for (const auto& [b, e] : m) {
    if (b > prev) out.emplace_back(s.substr(prev, b - prev), false);
    out.emplace_back(s.substr(b, e - b), true);
    prev = e;
  }
  if (prev < s.size()) out.emplace_back(s.substr(prev), false);
  return out;
}

// = tokenizers' NormalizedString::split with a SplitDelimiterBehavior.
void apply_behavior(std::vector<std::pair<std::string, bool>> parts, Behavior b, std::vector<std::string>* out) {
  switch (b) {
    case Behavior::Isolated:
      for (auto& [t, m] : parts) out->push_back(std::move(t));
      return;
    case Behavior::Removed:
      for (auto& [t, m] : parts)
        if (!m) out->push_back(std::move(t));
      return;
    case Behavior::MergedWithPrevious: {
      std::string cur;
      bool have = false;
      for (auto& [t, m] : parts) {
        if (m && have) { cur += t; out->push_back(std::move(cur)); cur.clear(); have = false; }
        else if (m) out->push_back(std::move(t));
        else { if (have) out->push_back(std::move(cur)); cur = std::move(t); have = true; }
      }
      if (have) out->push_back(std::move(cur));
      return;
    }
    case Behavior::MergedWithNext: {
      std::string cur;
      bool have = false;
      for (auto& [t, m] : parts) {
        if (m) { if (have) out->push_back(std::move(cur)); cur = std::move(t); have = true; }
        else if (have) { cur += t; out->push_back(std::move(cur)); cur.clear(); have = false; }
        else out->push_back(std::move(t));
      }
      if (have) out->push_back(std::move(cur));
      return;
    }
    case Behavior::Contiguous: {
      std::string cur;
      bool have = false, cur_m = false;
      for (auto& [t, m] : parts) {
        if (have && m && cur_m) { cur += t; continue; }
        if (have) out->push_back(std::move(cur));
        cur = std::move(t);
        cur_m = m;
        have = true;
      }
      if (have) out->push_back(std::move(cur));
      return;
    }
  }
}

std::string regex_escape(const std::string& s) {
  std::string out = "\\Q";
  for (size_t i = 0; i < s.size(); ++i) {
    if (s.compare(i, 2, "\\E") == 0) { out += "\\E\\\\E\\Q"; ++i; continue; }
    out += s[i];
  }
  return out + "\\E";
}

class Split final : public PreTokenizer {
 public:
  Split(const std::string& pattern, Behavior b, bool invert) : re_(pattern), b_(b), invert_(invert) {}
  void split(std::vector<std::string>* pieces) const override {
    std::vector<std::string> out;
    for (const auto& p : *pieces) {
      if (p.empty()) continue;
      auto parts = cut(p, re_.find_all(p));
      if (invert_)
        for (auto& part : parts) part.second = !part.second;
      apply_behavior(std::move(parts), b_, &out);
    }
    *pieces = std::move(out);
  }

 private:
  Regex re_;
  Behavior b_;
  bool invert_;
};

// GPT-2's pre-tokenizer regex, used by ByteLevel when use_regex is true.
constexpr const char* kGpt2Pattern = R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

class ByteLevel final : public PreTokenizer {
 public:
  ByteLevel(bool add_prefix_space, bool use_regex) : add_prefix_space_(add_prefix_space) {
    if (use_regex) re_ = std::make_unique<Regex>(kGpt2Pattern);
  }
  void split(std::vector<std::string>* pieces) const override {
    std::vector<std::string> out;
    for (auto& p : *pieces) {
      if (add_prefix_space_ && (p.empty() || p[0] != ' ')) p.insert(p.begin(), ' ');
      std::vector<std::string> parts;
      if (re_) {
        for (auto& [t, m] : cut(p, re_->find_all(p))) parts.push_back(std::move(t));
      } else {
        parts.push_back(std::move(p));
      }
      for (const auto& t : parts) {
        if (t.empty()) continue;
        std::string mapped;
        bytes_to_unicode(t, &mapped);
        out.push_back(std::move(mapped));
      }
    }
    *pieces = std::move(out);
  }
  bool byte_level() const override { return true; }

 private:
  bool add_prefix_space_;
  std::unique_ptr<Regex> re_;
};

class Sequence final : public PreTokenizer {
 public:
  explicit Sequence(std::vector<std::unique_ptr<PreTokenizer>> steps) : steps_(std::move(steps)) {}
  void split(std::vector<std::string>* pieces) const override {
    for (const auto& s : steps_) s->split(pieces);
  }
  bool byte_level() const override {
    for (const auto& s : steps_)
      if (s->byte_level()) return true;
    return false;
  }

 private:
  std::vector<std::unique_ptr<PreTokenizer>> steps_;
};

Behavior parse_behavior(const std::string& s, const std::string& where) {
  if (s == "Isolated") return Behavior::Isolated;
  if (s == "Removed") return Behavior::Removed;
  if (s == "MergedWithPrevious") return Behavior::MergedWithPrevious;
  if (s == "MergedWithNext") return Behavior::MergedWithNext;
  if (s == "Contiguous") return Behavior::Contiguous;
  throw Error(where + ": pre_tokenizer Split has unknown behavior '" + s + "'");
}

}  // namespace

std::unique_ptr<PreTokenizer> make_pre_tokenizer(const nlohmann::json& j, const std::string& where) {
  if (j.is_null()) return nullptr;
  require(j.is_object() && j.contains("type") && j["type"].is_string(), where + ": pre_tokenizer needs a 'type'");
  const std::string type = j["type"].get<std::string>();
  if (type == "Sequence") {
    require(j.contains("pretokenizers") && j["pretokenizers"].is_array(), where + ": Sequence needs 'pretokenizers'");
    std::vector<std::unique_ptr<PreTokenizer>> steps;
    for (const auto& s : j["pretokenizers"]) steps.push_back(make_pre_tokenizer(s, where));
    return std::make_unique<Sequence>(std::move(steps));
  }
  if (type == "Split") {
    require(j.contains("pattern") && j["pattern"].is_object(), where + ": Split needs a 'pattern'");
    const auto& pat = j["pattern"];
    std::string regex;
    if (pat.contains("Regex") && pat["Regex"].is_string()) regex = pat["Regex"].get<std::string>();
    else if (pat.contains("String") && pat["String"].is_string()) regex = regex_escape(pat["String"].get<std::string>());
    else throw Error(where + ": Split pattern must be {\"Regex\": ...} or {\"String\": ...}");
    const Behavior b = parse_behavior(j.value("behavior", std::string("Isolated")), where);
    return std::make_unique<Split>(regex, b, j.value("invert", false));
  }
  if (type == "ByteLevel") return std::make_unique<ByteLevel>(j.value("add_prefix_space", false), j.value("use_regex", true));
  if (type == "Digits") {
    const bool individual = j.value("individual_digits", false);
    return std::make_unique<Split>(individual ? "\\p{N}" : "\\p{N}+", Behavior::Isolated, false);
  }
  throw Error(where + ": pre_tokenizer type '" + type + "' is not supported");
}

}  // namespace r1::tok
