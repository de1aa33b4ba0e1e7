#define PCRE2_CODE_UNIT_WIDTH 8
#include "tokenizer/regex.h"

#include <pcre2.h>

#include "core/error.h"

namespace r1::tok {

namespace {

// Unicode White_Space, which is what Oniguruma's \s matches (PCRE2's \s under UCP differs: it lacks U+0085
// and has U+180E).
constexpr const char* kWhiteSpace =
    "\\t\\n\\x0B\\f\\r \\x{85}\\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}\\x{202F}\\x{205F}\\x{3000}";

// Code points each General_Category class gained between Unicode 14.0 (PCRE2 10.42's tables) and 16.0
// (Oniguruma's in the Rust tokenizers), e.g. new emoji; appended to \p{..} classes.
struct Delta { const char* cls; const char* extra; };
constexpr Delta kDelta[] = {
#include "tokenizer/unicode_delta.inc"
};

const char* delta_for(const std::string& cls) {
  for (const Delta& d : kDelta)
    if (cls == d.cls) return d.extra;
  return nullptr;
}

}  // namespace

std::string translate_oniguruma(const std::string& p) {
  std::string out;
  bool in_class = false;
  for (size_t i = 0; i < p.size(); ++i) {
    const char c = p[i];
    if (c == '\\' && i + 1 < p.size()) {
      const char n = p[i + 1];
      if ((n == 'p' || n == 'P') && i + 2 < p.size() && p[i + 2] == '{') {
        const size_t close = p.find('}', i + 3);
        if (close != std::string::npos) {
          const std::string cls = p.substr(i + 3, close - i - 3);
          const std::string prop = p.substr(i, close - i + 1);
          const char* extra = delta_for(cls);
          if (!extra) out += prop;
          else if (n == 'p') out += in_class ? prop + extra : "[" + prop + extra + "]";
          else if (!in_class) out += "[^\\p{" + cls + "}" + extra + "]";
          else throw Error("regex '" + p + "': \\P{" + cls + "} inside a character class is not supported");
          i = close;
          continue;
        }
      }
      if (n == 's') out += in_class ? std::string(kWhiteSpace) : "[" + std::string(kWhiteSpace) + "]";
      else if (n == 'S' && !in_class) out += "[^" + std::string(kWhiteSpace) + "]";
      else if (n == 'S') throw Error("regex '" + p + "': \\S inside a character class is not supported");
      else { out += c; out += n; }
      ++i;
      continue;
    }
    if (c == '[' && !in_class) {
      in_class = true;
      out += c;
      // A ']' right after '[' or '[^' is a literal.
      if (i + 1 < p.size() && p[i + 1] == '^') { out += '^'; ++i; }
      if (i + 1 < p.size() && p[i + 1] == ']') { out += ']'; ++i; }
      continue;
    }
    if (c == ']' && in_class) in_class = false;
    out += c;
  }
  return out;
}

Regex::Regex(const std::string& pattern) : pattern_(pattern) {
  const std::string translated = translate_oniguruma(pattern);
  int err = 0;
  PCRE2_SIZE off = 0;
  pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(translated.data()), translated.size(),
                                   PCRE2_UTF | PCRE2_UCP, &err, &off, nullptr);
  if (!code) {
    PCRE2_UCHAR msg[256];
    pcre2_get_error_message(err, msg, sizeof msg);
    throw Error("regex '" + pattern + "' does not compile (PCRE2, offset " + std::to_string(off) +
                "): " + reinterpret_cast<const char*>(msg));
  }
  pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);  // falls back to the interpreter if JIT is unavailable
  code_ = code;
}

Regex::~Regex() { pcre2_code_free(static_cast<pcre2_code*>(code_)); }

std::vector<std::pair<size_t, size_t>> Regex::find_all(std::string_view s) const {
  auto* code = static_cast<pcre2_code*>(code_);
  std::vector<std::pair<size_t, size_t>> out;
  pcre2_match_data* md = pcre2_match_data_create_from_pattern(code, nullptr);
  size_t start = 0;
  while (start <= s.size()) {
    // The input is valid UTF-8 (checked once by the caller), so skip PCRE2's per-call check.
    const int rc = pcre2_match(code, reinterpret_cast<PCRE2_SPTR>(s.data()), s.size(), start, PCRE2_NO_UTF_CHECK, md,
                               nullptr);
    if (rc < 0) {
      if (rc == PCRE2_ERROR_NOMATCH) break;
      pcre2_match_data_free(md);
      throw Error("regex '" + pattern_ + "': matching failed (PCRE2 error " + std::to_string(rc) + ")");
    }
    const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md);
    const size_t b = ov[0], e = ov[1];
    if (e > b) {
      out.emplace_back(b, e);
      start = e;
    } else {  // empty match: step over one UTF-8 character
      start = e + 1;
      while (start < s.size() && (static_cast<unsigned char>(s[start]) & 0xc0) == 0x80) ++start;
    }
  }
  pcre2_match_data_free(md);
  return out;
}

}  // namespace r1::tok
