// Python string formatting: `fmt % args` (printf-style), str.format() and the HTML escaping of
// markupsafe. Only the commonly used parts of the format mini-languages are implemented; anything
// else fails with a message naming the unsupported piece.
#include <cmath>
#include <cstdio>

#include "tokenizer/jinja/builtins.h"
#include "tokenizer/jinja/unicode.h"

namespace r1::jinja {

std::string html_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&#34;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

namespace {

struct Spec {
  char fill = ' ';
  char align = 0;  // '<' '>' '^' '='
  char sign = '-';
  bool alt = false, zero = false;
  int64_t width = -1, precision = -1;
  char type = 0;
};

std::string apply_width(const std::string& body, const Spec& sp, char default_align) {
  const int64_t n = static_cast<int64_t>(uni::length(body));
  if (sp.width <= n) return body;
  const int64_t marg = sp.width - n;
  const char align = sp.align ? sp.align : default_align;
  std::string fill(1, sp.fill);
  auto rep = [&](int64_t k) {
    std::string r;
    for (int64_t i = 0; i < k; ++i) r += fill;
    return r;
  };
  if (align == '<') return body + rep(marg);
  if (align == '^') return rep(marg / 2) + body + rep(marg - marg / 2);
  if (align == '=' && !body.empty() && (body[0] == '-' || body[0] == '+' || body[0] == ' '))
    return body.substr(0, 1) + rep(marg) + body.substr(1);
  return rep(marg) + body;
}

double to_double(const Value& v, const char* what) {
  if (v.kind == Kind::Float) return v.f;
  if (v.kind == Kind::Int) return static_cast<double>(v.i);
  if (v.kind == Kind::Bool) return v.b;
  if (v.is_undefined()) fail_undefined(v);
  fail(std::string(what) + ": a real number is required, not " + type_name(v));
}

int64_t to_integer(const Value& v, const char* what) {
  if (v.kind == Kind::Int) return v.i;
  if (v.kind == Kind::Bool) return v.b;
  if (v.kind == Kind::Float) {
    if (!std::isfinite(v.f)) fail("cannot convert float " + float_repr(v.f) + " to integer");
    return static_cast<int64_t>(v.f);
  }
  if (v.is_undefined()) fail_undefined(v);
  fail(std::string(what) + ": a real number is required, not " + type_name(v));
}

// Number in printf style via the C library, which rounds exactly as Python does.
std::string c_number(const Value& v, char type, const Spec& sp, const char* what) {
  std::string f = "%";
  if (sp.sign == '+' || sp.sign == ' ') f += sp.sign;
  if (sp.alt) f += '#';
  char buf[512];
  if (type == 'd' || type == 'i' || type == 'u' || type == 'x' || type == 'X' || type == 'o') {
    f += "ll";
    f += (type == 'i' || type == 'u') ? 'd' : type;
    const int64_t x = to_integer(v, what);
    if (type != 'd' && type != 'i' && type != 'u' &&
        x < 0) {  // Python prints a sign, C prints two's complement
      Spec pos = sp;
      return "-" + c_number(Value::integer(-x), type, pos, what);
    }
    std::snprintf(buf, sizeof buf, f.c_str(), static_cast<long long>(x));
    std::string s = buf;
    if (sp.alt && type == 'o' && x != 0) s.insert(s.find('0'), "o");
    return s;
  }
  const double d = to_double(v, what);
  if (std::isinf(d) || std::isnan(d)) {
    std::string s = std::isnan(d) ? "nan" : (d < 0 ? "-inf" : "inf");
    if (type >= 'A' && type <= 'Z')
      for (char& c : s) c = static_cast<char>(std::toupper(c));
    if (d >= 0 && (sp.sign == '+' || sp.sign == ' ') && !std::isnan(d)) s = std::string(1, sp.sign) + s;
    return s;
  }
  f += "." + std::to_string(sp.precision < 0 ? 6 : sp.precision);
  f += type;
  std::snprintf(buf, sizeof buf, f.c_str(), d);
  return buf;
}

Value lookup_field(const std::string& field, const Args& args, size_t* auto_idx, int* mode) {
  size_t p = 0;
  while (p < field.size() && field[p] != '.' && field[p] != '[') ++p;
  const std::string head = field.substr(0, p);
  Value v;
  if (head.empty() || std::isdigit(static_cast<unsigned char>(head[0]))) {
    size_t idx;
    if (head.empty()) {
      if (*mode == 2) fail("cannot switch from manual field specification to automatic field numbering");
      *mode = 1;
      idx = (*auto_idx)++;
    } else {
      if (*mode == 1) fail("cannot switch from automatic field numbering to manual field specification");
      *mode = 2;
      idx = std::stoul(head);
    }
    if (idx >= args.pos.size())
      fail("Replacement index " + std::to_string(idx) + " out of range for positional args tuple");
    v = args.pos[idx];
  } else {
    bool found = false;
    for (const auto& [k, val] : args.kw)
      if (k == head) v = val, found = true;
    if (!found) fail("KeyError: '" + head + "'");
  }
  while (p < field.size()) {
    if (field[p] == '.') {
      size_t q = ++p;
      while (q < field.size() && field[q] != '.' && field[q] != '[') ++q;
      v = getattr(v, field.substr(p, q - p));
      p = q;
    } else {
      const size_t q = field.find(']', p);
      if (q == std::string::npos) fail("Missing ']' in format string");
      const std::string key = field.substr(p + 1, q - p - 1);
      const bool digits = !key.empty() && key.find_first_not_of("0123456789") == std::string::npos;
      v = getitem(v, digits ? Value::integer(std::stoll(key)) : Value::string(key));
      p = q + 1;
    }
  }
  return v;
}

Spec parse_spec(const std::string& s) {
  Spec sp;
  size_t p = 0;
  auto is_align = [](char c) { return c == '<' || c == '>' || c == '^' || c == '='; };
  if (s.size() >= 2 && is_align(s[1])) {
    sp.fill = s[0], sp.align = s[1], p = 2;
  } else if (!s.empty() && is_align(s[0])) {
    sp.align = s[0], p = 1;
  }
  if (p < s.size() && (s[p] == '+' || s[p] == '-' || s[p] == ' ')) sp.sign = s[p++];
  if (p < s.size() && s[p] == '#') sp.alt = true, ++p;
  if (p < s.size() && s[p] == '0') sp.zero = true, ++p;
  if (p < s.size() && std::isdigit(static_cast<unsigned char>(s[p]))) {
    sp.width = 0;
    while (p < s.size() && std::isdigit(static_cast<unsigned char>(s[p])))
      sp.width = sp.width * 10 + (s[p++] - '0');
  }
  if (p < s.size() && s[p] == '.') {
    ++p;
    sp.precision = 0;
    while (p < s.size() && std::isdigit(static_cast<unsigned char>(s[p])))
      sp.precision = sp.precision * 10 + (s[p++] - '0');
  }
  if (p < s.size()) sp.type = s[p++];
  if (p != s.size()) fail("unsupported format spec '" + s + "'");
  if (sp.zero && !sp.align) sp.fill = '0', sp.align = '=';
  return sp;
}

std::string format_value(const Value& v, const std::string& spec_text) {
  if (spec_text.empty()) return to_str(v);
  const Spec sp = parse_spec(spec_text);
  if (v.kind == Kind::String) {
    if (sp.type && sp.type != 's')
      fail("Unknown format code '" + std::string(1, sp.type) + "' for object of type 'str'");
    std::string body = v.s;
    if (sp.precision >= 0) body = uni::encode(uni::decode(body).substr(0, sp.precision));
    return apply_width(body, sp, '<');
  }
  if (v.is_number()) {
    char t = sp.type;
    if (!t) {
      if (v.kind == Kind::Float) {
        if (sp.precision >= 0) fail("unsupported format spec '" + spec_text + "' for float");
        return apply_width(float_repr(v.f), sp, '>');
      }
      t = 'd';
    }
    std::string body;
    if (t == 'd' || t == 'x' || t == 'X' || t == 'o') {
      if (v.kind == Kind::Float)
        fail("Unknown format code '" + std::string(1, t) + "' for object of type 'float'");
      body = c_number(v, t, sp, "format");
    } else if (t == 'f' || t == 'F' || t == 'e' || t == 'E' || t == 'g' || t == 'G') {
      body = c_number(Value::number(to_double(v, "format")), t, sp, "format");
    } else if (t == '%') {
      Spec s2 = sp;
      body = c_number(Value::number(to_double(v, "format") * 100), 'f', s2, "format") + "%";
    } else {
      fail("unsupported format spec '" + spec_text + "'");
    }
    return apply_width(body, sp, '>');
  }
  fail("unsupported format string passed to " + type_name(v) + ".__format__");
}

}  // namespace

std::string str_format(const std::string& fmt, const Args& args) {
  std::string out;
  size_t auto_idx = 0;
  int mode = 0;
  for (size_t p = 0; p < fmt.size(); ++p) {
    const char c = fmt[p];
    if (c == '}') {
      if (p + 1 < fmt.size() && fmt[p + 1] == '}') {
        out += '}', ++p;
        continue;
      }
      fail("Single '}' encountered in format string");
    }
    if (c != '{') {
      out += c;
      continue;
    }
    if (p + 1 < fmt.size() && fmt[p + 1] == '{') {
      out += '{', ++p;
      continue;
    }
    const size_t close = fmt.find('}', p);
    if (close == std::string::npos) fail("Single '{' encountered in format string");
    std::string field = fmt.substr(p + 1, close - p - 1);
    if (field.find('{') != std::string::npos) fail("unsupported: nested replacement fields in str.format()");
    std::string spec;
    char conv = 0;
    const size_t colon = field.find(':');
    if (colon != std::string::npos) spec = field.substr(colon + 1), field.resize(colon);
    const size_t bang = field.find('!');
    if (bang != std::string::npos) {
      if (bang + 2 != field.size()) fail("expected ':' after conversion specifier");
      conv = field[bang + 1];
      field.resize(bang);
    }
    Value v = lookup_field(field, args, &auto_idx, &mode);
    if (conv == 'r' || conv == 'a') {
      v = Value::string(repr(v));
    } else if (conv == 's') {
      v = Value::string(to_str(v));
    } else if (conv) {
      fail(std::string("Unknown conversion specifier ") + conv);
    }
    out += format_value(v, spec);
    p = close;
  }
  return out;
}

std::string percent_format(const std::string& fmt, const Value& args) {
  std::vector<Value> pos;
  const Value* mapping = nullptr;
  if (args.kind == Kind::List && args.list->kind == ListKind::Tuple) {
    pos = args.list->items;
  } else {
    pos.push_back(args);
    if (args.is_mapping()) mapping = &args;
  }
  size_t next = 0;
  bool used_mapping = false;
  std::string out;
  for (size_t p = 0; p < fmt.size(); ++p) {
    if (fmt[p] != '%') {
      out += fmt[p];
      continue;
    }
    if (++p >= fmt.size()) fail("incomplete format");
    Value v;
    bool have = false;
    if (fmt[p] == '(') {
      const size_t close = fmt.find(')', p);
      if (close == std::string::npos) fail("incomplete format key");
      if (!mapping) fail("format requires a mapping");
      const Value* found = mapping->dict->find(std::string_view(fmt).substr(p + 1, close - p - 1));
      if (!found) fail("KeyError: '" + fmt.substr(p + 1, close - p - 1) + "'");
      v = *found, have = true, used_mapping = true;
      p = close + 1;
    }
    Spec sp;
    for (; p < fmt.size() && std::string("-+ #0").find(fmt[p]) != std::string::npos; ++p) {
      if (fmt[p] == '-')
        sp.align = '<';
      else if (fmt[p] == '0')
        sp.zero = true;
      else if (fmt[p] == '#')
        sp.alt = true;
      else if (sp.sign != '+')
        sp.sign = fmt[p];
    }
    if (p < fmt.size() && fmt[p] == '*') fail("unsupported: '*' width in % formatting");
    while (p < fmt.size() && std::isdigit(static_cast<unsigned char>(fmt[p])))
      sp.width = std::max<int64_t>(sp.width, 0) * 10 + (fmt[p++] - '0');
    if (p < fmt.size() && fmt[p] == '.') {
      sp.precision = 0;
      for (++p; p < fmt.size() && std::isdigit(static_cast<unsigned char>(fmt[p])); ++p)
        sp.precision = sp.precision * 10 + (fmt[p] - '0');
    }
    while (p < fmt.size() && (fmt[p] == 'h' || fmt[p] == 'l' || fmt[p] == 'L')) ++p;
    if (p >= fmt.size()) fail("incomplete format");
    const char t = fmt[p];
    if (t == '%') {
      out += '%';
      continue;
    }
    if (!have) {
      if (next >= pos.size()) fail("not enough arguments for format string");
      v = pos[next++];
    }
    std::string body;
    if (t == 's' || t == 'r' || t == 'a') {
      body = t == 's' ? to_str(v) : repr(v);
      if (sp.precision >= 0) body = uni::encode(uni::decode(body).substr(0, sp.precision));
      sp.zero = false;
    } else if (t == 'c') {
      if (v.kind == Kind::String && uni::length(v.s) == 1)
        body = v.s;
      else {
        body.clear();
        uni::append_utf8(body, static_cast<char32_t>(to_integer(v, "%c")));
      }
    } else if (std::string("diuxXoeEfFgG").find(t) != std::string::npos) {
      if (v.kind == Kind::String) fail(std::string("%") + t + " format: a real number is required, not str");
      body = c_number(v, t, sp, "%d format");
    } else {
      fail(std::string("unsupported format character '") + t + "'");
    }
    Spec w = sp;
    if (!w.align) {
      w.align = sp.zero ? '=' : '>';
      if (sp.zero) w.fill = '0';
    }
    out += apply_width(body, w, '>');
  }
  // Python skips this check when the argument supports __getitem__ (dict, list, Undefined, ...).
  const bool getitem_like =
      args.kind == Kind::Undefined || args.is_mapping() ||
      (args.kind == Kind::List && (args.list->kind == ListKind::List || args.list->kind == ListKind::Range));
  if (!used_mapping && next < pos.size() && !getitem_like)
    fail("not all arguments converted during string formatting");
  return out;
}

}  // namespace r1::jinja
