#include "tokenizer/jinja/lexer.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "core/error.h"
#include "tokenizer/jinja/unicode.h"

namespace r1::jinja {

std::string where(int line, int col) {
  return "chat template line " + std::to_string(line) + ":" + std::to_string(col) + ": ";
}

namespace {

bool ascii_space(char c) {
  return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1C && c <= 0x1F);
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool name_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool name_char(char c) {
  return name_start(c) || is_digit(c);
}

// Python's `\s` over a UTF-8 string starting at byte offset `from`: true when the rest is non-empty
// whitespace.
bool all_space(const std::string& s, size_t from) {
  if (from >= s.size()) return false;
  for (char32_t c : uni::decode(std::string_view(s).substr(from)))
    if (!uni::is_space(c)) return false;
  return true;
}

std::string rstrip_space(const std::string& s) {
  return uni::strip(s, nullptr, false, true);
}

class Lexer {
 public:
  explicit Lexer(const std::string& source) {
    // Newlines normalized to "\n" and one trailing newline dropped, as jinja2 does before tokenizing.
    src_.reserve(source.size());
    for (size_t k = 0; k < source.size(); ++k) {
      if (source[k] == '\r') {
        src_.push_back('\n');
        if (k + 1 < source.size() && source[k + 1] == '\n') ++k;
      } else {
        src_.push_back(source[k]);
      }
    }
    if (!src_.empty() && src_.back() == '\n') src_.pop_back();
    line_starts_.push_back(0);
    for (size_t k = 0; k < src_.size(); ++k)
      if (src_[k] == '\n') line_starts_.push_back(k + 1);
  }

  std::vector<Token> run() {
    size_t pos = 0;
    bool line_starting = true;
    const size_t n = src_.size();
    while (pos < n) {
      size_t start = pos;
      while (start + 1 < n && !(src_[start] == '{' &&
                                (src_[start + 1] == '{' || src_[start + 1] == '%' || src_[start + 1] == '#')))
        ++start;
      if (start + 1 >= n) {
        emit_data(src_.substr(pos), pos);
        break;
      }
      const char kind = src_[start + 1];
      char sign = 0;
      if (start + 2 < n && (src_[start + 2] == '-' || src_[start + 2] == '+')) sign = src_[start + 2];
      size_t raw_body = 0;
      const bool raw = kind == '%' && match_raw_begin(start, &raw_body);
      std::string text = src_.substr(pos, start - pos);
      text = lstrip_text(std::move(text), sign, kind != '{', line_starting);
      emit_data(std::move(text), pos);
      size_t p = start + 2 + (sign ? 1 : 0);
      if (raw) {
        pos = lex_raw(start, raw_body, &line_starting);
      } else if (kind == '#') {
        pos = lex_comment(start, p, &line_starting);
      } else {
        pos = lex_tag(start, p, kind, &line_starting);
      }
    }
    Token eof;
    eof.type = Tok::Eof;
    position(src_.size(), &eof.line, &eof.col);
    out_.push_back(eof);
    return std::move(out_);
  }

 private:
  // 1-based line and column (in code points) of a byte offset. Tokens come in order, so the column is
  // counted on from the previous position when it is on the same line (long one-line templates).
  void position(size_t off, int* line, int* col) const {
    const auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), off) - 1;
    const size_t start = *it;
    *line = static_cast<int>(it - line_starts_.begin()) + 1;
    if (pos_cache_off_ < start || pos_cache_off_ > off) pos_cache_off_ = start, pos_cache_col_ = 1;
    pos_cache_col_ +=
        static_cast<int>(uni::length(std::string_view(src_).substr(pos_cache_off_, off - pos_cache_off_)));
    pos_cache_off_ = off;
    *col = pos_cache_col_;
  }

  [[noreturn]] void error(size_t off, const std::string& msg) const {
    int line, col;
    position(off, &line, &col);
    throw Error(where(line, col) + msg);
  }

  void push(Tok t, std::string text, size_t off) {
    Token tok;
    tok.type = t;
    tok.text = std::move(text);
    position(off, &tok.line, &tok.col);
    out_.push_back(std::move(tok));
  }

  void emit_data(std::string text, size_t off) {
    if (!text.empty()) push(Tok::Data, std::move(text), off);
  }

  // jinja2's OptionalLStrip: "-" strips all trailing whitespace; otherwise lstrip_blocks removes
  // spaces/tabs between the last line start and a block or comment tag.
  static std::string lstrip_text(std::string text, char sign, bool block_like, bool line_starting) {
    if (sign == '-') return rstrip_space(text);
    if (sign == '+' || !block_like) return text;
    const size_t nl = text.rfind('\n');
    const size_t l_pos = nl == std::string::npos ? 0 : nl + 1;
    if ((l_pos > 0 || line_starting) && all_space(text, l_pos)) text.resize(l_pos);
    return text;
  }

  bool starts(size_t p, const char* s) const {
    return src_.compare(p, std::char_traits<char>::length(s), s) == 0;
  }
  // Skips Python `\s*` (Unicode whitespace) from byte offset p.
  size_t skip_ws(size_t p) const {
    while (p < src_.size()) {
      if (ascii_space(src_[p])) {
        ++p;
        continue;
      }
      const unsigned char c = static_cast<unsigned char>(src_[p]);
      if (c < 0x80) break;
      const size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
      const std::u32string cp = uni::decode(std::string_view(src_).substr(p, len));
      if (cp.size() != 1 || !uni::is_space(cp[0])) break;
      p += len;
    }
    return p;
  }

  // Matches `{%[-+]?\s*raw\s*(-%}\s*|%})` at `start`; sets *body to the offset after it.
  bool match_raw_begin(size_t start, size_t* body) const {
    size_t p = start + 2;
    if (p < src_.size() && (src_[p] == '-' || src_[p] == '+')) ++p;
    p = skip_ws(p);
    if (!starts(p, "raw")) return false;
    p = skip_ws(p + 3);
    if (starts(p, "-%}")) {
      *body = skip_ws(p + 3);
      return true;
    }
    if (starts(p, "%}")) {
      *body = p + 2;
      return true;
    }
    return false;
  }

  size_t lex_raw(size_t start, size_t body, bool* line_starting) {
    *line_starting = body > 0 && src_[body - 1] == '\n';
    for (size_t p = body; p + 1 < src_.size(); ++p) {
      if (!starts(p, "{%")) continue;
      size_t q = p + 2;
      char sign = 0;
      if (q < src_.size() && (src_[q] == '-' || src_[q] == '+')) sign = src_[q++];
      q = skip_ws(q);
      if (!starts(q, "endraw")) continue;
      q = skip_ws(q + 6);
      size_t end;
      if (starts(q, "+%}")) {
        end = q + 3;
      } else if (starts(q, "-%}")) {
        end = skip_ws(q + 3);
      } else if (starts(q, "%}")) {
        end = q + 2;
        if (end < src_.size() && src_[end] == '\n') ++end;
      } else {
        continue;
      }
      emit_data(lstrip_text(src_.substr(body, p - body), sign, true, *line_starting), body);
      *line_starting = src_[end - 1] == '\n';
      return end;
    }
    error(start, "missing end of raw directive ({% endraw %})");
  }

  size_t lex_comment(size_t start, size_t p, bool* line_starting) {
    for (; p < src_.size(); ++p) {
      size_t end = 0;
      if (starts(p, "+#}")) {
        end = p + 3;
      } else if (starts(p, "-#}")) {
        end = skip_ws(p + 3);
      } else if (starts(p, "#}")) {
        end = p + 2;
        if (end < src_.size() && src_[end] == '\n') ++end;
      } else {
        continue;
      }
      *line_starting = src_[end - 1] == '\n';
      return end;
    }
    error(start, "missing end of comment tag '#}'");
  }

  size_t lex_tag(size_t start, size_t p, char kind, bool* line_starting) {
    push(kind == '{' ? Tok::VarBegin : Tok::BlockBegin, kind == '{' ? "{{" : "{%", start);
    std::vector<char> balance;
    const size_t n = src_.size();
    while (true) {
      if (p >= n)
        error(start, std::string("unexpected end of template: '") + (kind == '{' ? "{{" : "{%") +
                         "' is never closed");
      if (balance.empty()) {
        size_t end = 0;
        if (kind == '{') {
          if (starts(p, "-}}"))
            end = skip_ws(p + 3);
          else if (starts(p, "}}"))
            end = p + 2;
        } else {
          if (starts(p, "+%}")) {
            end = p + 3;
          } else if (starts(p, "-%}")) {
            end = skip_ws(p + 3);
          } else if (starts(p, "%}")) {
            end = p + 2;
            if (end < n && src_[end] == '\n') ++end;
          }
        }
        if (end) {
          push(kind == '{' ? Tok::VarEnd : Tok::BlockEnd, "", p);
          *line_starting = src_[end - 1] == '\n';
          return end;
        }
      }
      const char c = src_[p];
      if (const size_t after_ws = skip_ws(p); after_ws > p) {
        p = after_ws;
      } else if (is_digit(c)) {
        p = lex_number(p);
      } else if (name_start(c)) {
        size_t q = p;
        while (q < n && name_char(src_[q])) ++q;
        push(Tok::Name, src_.substr(p, q - p), p);
        p = q;
      } else if (c == '\'' || c == '"') {
        p = lex_string(p);
      } else {
        p = lex_operator(p, &balance);
      }
    }
  }

  size_t lex_number(size_t p) {
    const size_t n = src_.size();
    const size_t begin = p;
    auto digits = [&](size_t q) {  // (\d+_)*\d+ ; returns end or q if none
      size_t r = q;
      while (r < n && is_digit(src_[r])) {
        while (r < n && is_digit(src_[r])) ++r;
        if (r + 1 < n && src_[r] == '_' && is_digit(src_[r + 1])) ++r;
      }
      return r;
    };
    if (src_[p] == '0' && p + 1 < n && std::string("bBoOxX").find(src_[p + 1]) != std::string::npos) {
      const char b = static_cast<char>(src_[p + 1] | 0x20);
      const int base = b == 'b' ? 2 : b == 'o' ? 8 : 16;
      size_t q = p + 2;
      std::string d;
      while (q < n && (std::isxdigit(static_cast<unsigned char>(src_[q])) || src_[q] == '_')) {
        if (src_[q] != '_') d.push_back(src_[q]);
        ++q;
      }
      errno = 0;
      char* e = nullptr;
      const long long v = std::strtoll(d.c_str(), &e, base);
      if (d.empty() || *e || errno) error(begin, "invalid integer literal '" + src_.substr(p, q - p) + "'");
      Token t;
      t.type = Tok::Int;
      t.ival = v;
      position(begin, &t.line, &t.col);
      out_.push_back(t);
      return q;
    }
    size_t q = digits(p);
    bool is_float = false;
    const bool after_dot = begin > 0 && src_[begin - 1] == '.';
    if (!after_dot && q + 1 < n && src_[q] == '.' && is_digit(src_[q + 1])) {
      q = digits(q + 1);
      is_float = true;
    }
    if (!after_dot && q < n && (src_[q] == 'e' || src_[q] == 'E')) {
      size_t r = q + 1;
      if (r < n && (src_[r] == '+' || src_[r] == '-')) ++r;
      if (r < n && is_digit(src_[r])) {
        q = digits(r);
        is_float = true;
      }
    }
    std::string text;
    for (size_t k = begin; k < q; ++k)
      if (src_[k] != '_') text.push_back(src_[k]);
    Token t;
    position(begin, &t.line, &t.col);
    if (is_float) {
      t.type = Tok::Float;
      t.fval = std::strtod(text.c_str(), nullptr);
    } else {
      t.type = Tok::Int;
      errno = 0;
      t.ival = std::strtoll(text.c_str(), nullptr, 10);
      if (errno) error(begin, "integer literal " + text + " is out of range");
    }
    t.text = text;
    out_.push_back(t);
    return q;
  }

  static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  // String literal, decoded the way jinja2 does (Python "unicode-escape" over the literal's body).
  size_t lex_string(size_t p) {
    const char q = src_[p];
    const size_t n = src_.size();
    std::string out;
    size_t k = p + 1;
    while (true) {
      if (k >= n) error(p, "unterminated string literal");
      const char c = src_[k];
      if (c == q) break;
      if (c != '\\') {
        out.push_back(c);
        ++k;
        continue;
      }
      if (k + 1 >= n) error(p, "unterminated string literal");
      const char e = src_[k + 1];
      k += 2;
      switch (e) {
        case '\\':
          out.push_back('\\');
          break;
        case '\'':
          out.push_back('\'');
          break;
        case '"':
          out.push_back('"');
          break;
        case 'a':
          out.push_back('\a');
          break;
        case 'b':
          out.push_back('\b');
          break;
        case 'f':
          out.push_back('\f');
          break;
        case 'n':
          out.push_back('\n');
          break;
        case 'r':
          out.push_back('\r');
          break;
        case 't':
          out.push_back('\t');
          break;
        case 'v':
          out.push_back('\v');
          break;
        case '\n':
          break;  // line continuation
        case 'x':
        case 'u':
        case 'U': {
          const int len = e == 'x' ? 2 : e == 'u' ? 4 : 8;
          char32_t cp = 0;
          for (int d = 0; d < len; ++d) {
            const int h = k + d < n ? hexval(src_[k + d]) : -1;
            if (h < 0) error(p, std::string("truncated \\") + e + " escape in string literal");
            cp = cp * 16 + static_cast<char32_t>(h);
          }
          if (cp > 0x10FFFF) error(p, "illegal Unicode character in string literal");
          uni::append_utf8(out, cp);
          k += len;
          break;
        }
        case 'N':
          error(p, "\\N{...} escapes in string literals are not supported");
        default:
          if (e >= '0' && e <= '7') {
            char32_t cp = static_cast<char32_t>(e - '0');
            for (int d = 0; d < 2 && k < n && src_[k] >= '0' && src_[k] <= '7'; ++d)
              cp = cp * 8 + (src_[k++] - '0');
            uni::append_utf8(out, cp);
          } else if (static_cast<unsigned char>(e) >= 0x80) {
            // jinja2 backslash-escapes non-ASCII before decoding, so "\é" reads as "\\xe9".
            size_t end = k;
            while (end < n && (static_cast<unsigned char>(src_[end]) & 0xC0) == 0x80) ++end;
            const std::u32string cps = uni::decode(std::string_view(src_).substr(k - 1, end - (k - 1)));
            char buf[16];
            const unsigned cp = cps.empty() ? 0xFFFD : static_cast<unsigned>(cps[0]);
            std::snprintf(buf, sizeof buf, cp < 0x100 ? "\\x%02x" : cp < 0x10000 ? "\\u%04x" : "\\U%08x", cp);
            out += buf;
            k = end;
          } else {
            out.push_back('\\');
            out.push_back(e);
          }
      }
    }
    push(Tok::String, std::move(out), p);
    return k + 1;
  }

  size_t lex_operator(size_t p, std::vector<char>* balance) {
    static const char* const two[] = {"//", "**", "==", "!=", ">=", "<="};
    for (const char* op : two)
      if (starts(p, op)) {
        push(Tok::Op, op, p);
        return p + 2;
      }
    const char c = src_[p];
    if (std::string("+-/*%~[](){}><=.:|,;").find(c) == std::string::npos) {
      if (c == '!') error(p, "unexpected '!' (did you mean '!=' or 'not'?)");
      error(p, std::string("unexpected character '") + c + "'");
    }
    if (c == '(') balance->push_back(')');
    if (c == '[') balance->push_back(']');
    if (c == '{') balance->push_back('}');
    if (c == ')' || c == ']' || c == '}') {
      if (balance->empty()) error(p, std::string("unexpected '") + c + "'");
      if (balance->back() != c)
        error(p, std::string("unexpected '") + c + "', expected '" + balance->back() + "'");
      balance->pop_back();
    }
    push(Tok::Op, std::string(1, c), p);
    return p + 1;
  }

  std::string src_;
  std::vector<size_t> line_starts_;
  std::vector<Token> out_;
  mutable size_t pos_cache_off_ = 0;
  mutable int pos_cache_col_ = 1;
};

}  // namespace

std::vector<Token> lex(const std::string& source) {
  return Lexer(source).run();
}

}  // namespace r1::jinja
