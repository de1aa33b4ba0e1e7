// Python str / dict / list methods as jinja2's ImmutableSandboxedEnvironment exposes them: read-only
// methods work, mutating ones (list.append, dict.update, ...) are "unsafe" and fail when called.
#include <algorithm>
#include <set>

#include "tokenizer/jinja/builtins.h"
#include "tokenizer/jinja/unicode.h"

namespace r1::jinja {

std::string str_format(const std::string& fmt, const Args& args);  // format.cpp

namespace {

using Impl = Value (*)(const Value& self, const std::string& name, const Args& a);

Value bound(const Value& self, const std::string& name, Impl impl) {
  Value v;
  v.kind = Kind::Func;
  v.fn = std::make_shared<FuncData>();
  v.fn->name = "method '" + name + "' of " + type_name(self) + " object";
  v.fn->call = [self, name, impl](Interp&, Args& a) { return impl(self, name, a); };
  return v;
}

const std::string& arg_str(const Value& v, const std::string& what) {
  if (v.kind != Kind::String) {
    if (v.is_undefined()) fail_undefined(v);
    fail(what + " must be str, not " + type_name(v));
  }
  return v.s;
}

std::u32string opt_chars(const Value& v, const std::string& what, bool* has) {
  *has = !v.is_none();
  return *has ? uni::decode(arg_str(v, what)) : std::u32string();
}

Value str_list(const std::vector<std::u32string>& parts) {
  std::vector<Value> out;
  out.reserve(parts.size());
  for (const auto& p : parts) out.push_back(Value::string(uni::encode(p)));
  return Value::make_list(std::move(out));
}

// Python slice-style clamp of optional start/end arguments over n code points.
void clamp_range(const Value& start, const Value& end, int64_t n, int64_t* b, int64_t* e) {
  auto fix = [n](int64_t x) { return x < 0 ? std::max<int64_t>(0, x + n) : std::min(x, n); };
  *b = start.is_none() ? 0 : fix(to_index(start, "slice indices"));
  *e = end.is_none() ? n : fix(to_index(end, "slice indices"));
}

std::vector<std::u32string> split_ws(const std::u32string& s, int64_t maxsplit, bool from_right) {
  std::vector<std::u32string> out;
  const int64_t n = static_cast<int64_t>(s.size());
  if (!from_right) {
    int64_t i = 0;
    while (maxsplit-- != 0) {
      while (i < n && uni::is_space(s[i])) ++i;
      if (i == n) break;
      const int64_t j = i;
      while (i < n && !uni::is_space(s[i])) ++i;
      out.push_back(s.substr(j, i - j));
    }
    while (i < n && uni::is_space(s[i])) ++i;
    if (i < n) out.push_back(s.substr(i));
    return out;
  }
  int64_t i = n - 1;
  while (maxsplit-- != 0) {
    while (i >= 0 && uni::is_space(s[i])) --i;
    if (i < 0) break;
    const int64_t j = i;
    while (i >= 0 && !uni::is_space(s[i])) --i;
    out.push_back(s.substr(i + 1, j - i));
  }
  while (i >= 0 && uni::is_space(s[i])) --i;
  if (i >= 0) out.push_back(s.substr(0, i + 1));
  std::reverse(out.begin(), out.end());
  return out;
}

std::vector<std::u32string> split_sep(const std::u32string& s, const std::u32string& sep, int64_t maxsplit,
                                      bool from_right) {
  if (sep.empty()) fail("empty separator");
  std::vector<std::u32string> out;
  if (!from_right) {
    size_t pos = 0;
    while (maxsplit-- != 0) {
      const size_t f = s.find(sep, pos);
      if (f == std::u32string::npos) break;
      out.push_back(s.substr(pos, f - pos));
      pos = f + sep.size();
    }
    out.push_back(s.substr(pos));
    return out;
  }
  size_t end = s.size();
  while (maxsplit-- != 0 && end >= sep.size()) {
    const size_t f = s.rfind(sep, end - sep.size());
    if (f == std::u32string::npos) break;
    out.push_back(s.substr(f + sep.size(), end - f - sep.size()));
    end = f;
  }
  out.push_back(s.substr(0, end));
  std::reverse(out.begin(), out.end());
  return out;
}

bool affix_match(const std::u32string& s, const Value& affix, bool prefix) {
  std::vector<Value> options;
  if (affix.kind == Kind::List && affix.list->kind == ListKind::Tuple)
    options = affix.list->items;
  else
    options.push_back(affix);
  for (const Value& o : options) {
    const std::u32string p = uni::decode(arg_str(o, prefix ? "startswith first arg" : "endswith first arg"));
    if (p.size() > s.size()) continue;
    if (prefix ? s.compare(0, p.size(), p) == 0 : s.compare(s.size() - p.size(), p.size(), p) == 0)
      return true;
  }
  return false;
}

std::u32string py_title(const std::u32string& s) {
  std::u32string out;
  bool prev_cased = false;
  for (size_t i = 0; i < s.size(); ++i) {
    out += prev_cased ? uni::lower_at(s, i) : uni::title_case(s[i]);
    prev_cased = uni::is_cased(s[i]);
  }
  return out;
}

std::u32string capitalize(const std::u32string& s) {
  if (s.empty()) return s;
  std::u32string out = uni::title_case(s[0]);
  for (size_t i = 1; i < s.size(); ++i) out += uni::lower_at(s, i);
  return out;
}

std::u32string pad(const std::u32string& s, int64_t width, char32_t fill,
                   int align) {  // align: -1 left, 0 center, 1 right
  const int64_t n = static_cast<int64_t>(s.size());
  if (width <= n) return s;
  const int64_t marg = width - n;
  int64_t left = align < 0 ? 0 : align > 0 ? marg : marg / 2 + (marg & width & 1);
  return std::u32string(left, fill) + s + std::u32string(marg - left, fill);
}

bool ascii_pred(const std::u32string& s, const std::string& name) {
  if (s.empty()) return false;
  for (char32_t c : s) {
    if (c >= 0x80) fail("unsupported: str." + name + "() on non-ASCII text");
    const bool digit = c >= '0' && c <= '9';
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    const bool ok = name == "isalpha" ? alpha : name == "isalnum" ? alpha || digit : digit;
    if (!ok) return false;
  }
  return true;
}

Value str_method(const Value& self, const std::string& m, const Args& a) {
  const std::string what = "str." + m;
  const std::u32string s = uni::decode(self.s);
  auto str = [](const std::u32string& x) { return Value::string(uni::encode(x)); };
  if (m == "strip" || m == "lstrip" || m == "rstrip") {
    const auto v = bind_args(a, {{"chars", Value::none()}}, what);
    bool has;
    const std::u32string chars = opt_chars(v[0], what + "() arg", &has);
    return Value::string(uni::strip(self.s, has ? &chars : nullptr, m != "rstrip", m != "lstrip"));
  }
  if (m == "split" || m == "rsplit") {
    const auto v = bind_args(a, {{"sep", Value::none()}, {"maxsplit", Value::integer(-1)}}, what);
    const int64_t maxsplit = to_index(v[1], "maxsplit");
    if (v[0].is_none()) return str_list(split_ws(s, maxsplit, m == "rsplit"));
    return str_list(split_sep(s, uni::decode(arg_str(v[0], "sep")), maxsplit, m == "rsplit"));
  }
  if (m == "splitlines") {
    const auto v = bind_args(a, {{"keepends", Value::boolean(false)}}, what);
    std::vector<std::u32string> out;
    size_t i = 0;
    while (i < s.size()) {
      size_t j = i;
      while (j < s.size() && !uni::is_line_break(s[j])) ++j;
      size_t eol = j;
      if (j < s.size()) eol = (s[j] == '\r' && j + 1 < s.size() && s[j + 1] == '\n') ? j + 2 : j + 1;
      out.push_back(s.substr(i, (truthy(v[0]) ? eol : j) - i));
      i = eol;
    }
    return str_list(out);
  }
  if (m == "startswith" || m == "endswith") {
    const auto v =
        bind_args(a, {{"prefix", Value(), true}, {"start", Value::none()}, {"end", Value::none()}}, what);
    int64_t b, e;
    clamp_range(v[1], v[2], static_cast<int64_t>(s.size()), &b, &e);
    if (b > e) return Value::boolean(false);
    return Value::boolean(affix_match(s.substr(b, e - b), v[0], m == "startswith"));
  }
  if (m == "upper") return str(uni::upper(s));
  if (m == "lower") return str(uni::lower(s));
  if (m == "title") return str(py_title(s));
  if (m == "capitalize") {
    if (s.empty()) return self;
    return str(capitalize(s));
  }
  if (m == "swapcase") {
    std::u32string out;
    for (size_t i = 0; i < s.size(); ++i) {
      const char32_t c = s[i];
      out += uni::is_upper(c)   ? uni::lower_at(s, i)
             : uni::is_lower(c) ? uni::upper(std::u32string(1, c))
                                : std::u32string(1, c);
    }
    return str(out);
  }
  if (m == "replace") {
    const auto v =
        bind_args(a, {{"old", Value(), true}, {"new", Value(), true}, {"count", Value::integer(-1)}}, what);
    const std::u32string from = uni::decode(arg_str(v[0], "replace() argument 1"));
    const std::u32string to = uni::decode(arg_str(v[1], "replace() argument 2"));
    int64_t count = to_index(v[2], "count");
    std::u32string out;
    if (from.empty()) {
      for (size_t k = 0; k <= s.size(); ++k) {
        if (count != 0) out += to, --count;
        if (k < s.size()) out.push_back(s[k]);
      }
      return str(out);
    }
    size_t pos = 0;
    while (count != 0) {
      const size_t f = s.find(from, pos);
      if (f == std::u32string::npos) break;
      out += s.substr(pos, f - pos) + to;
      pos = f + from.size();
      --count;
    }
    return str(out + s.substr(pos));
  }
  if (m == "find" || m == "rfind" || m == "index" || m == "rindex" || m == "count") {
    const auto v =
        bind_args(a, {{"sub", Value(), true}, {"start", Value::none()}, {"end", Value::none()}}, what);
    const std::u32string sub = uni::decode(arg_str(v[0], what + "() argument"));
    int64_t b, e;
    clamp_range(v[1], v[2], static_cast<int64_t>(s.size()), &b, &e);
    if (m == "count") {
      if (b > e) return Value::integer(0);
      if (sub.empty()) return Value::integer(e - b + 1);
      int64_t n = 0;
      for (size_t p = b;
           (p = s.find(sub, p)) != std::u32string::npos && static_cast<int64_t>(p + sub.size()) <= e;
           p += sub.size())
        ++n;
      return Value::integer(n);
    }
    int64_t found = -1;
    if (b <= e && static_cast<int64_t>(sub.size()) <= e - b) {
      const std::u32string hay = s.substr(b, e - b);
      const size_t f = (m[0] == 'r') ? hay.rfind(sub) : hay.find(sub);
      if (f != std::u32string::npos) found = b + static_cast<int64_t>(f);
    }
    if (found < 0 && (m == "index" || m == "rindex")) fail("substring not found");
    return Value::integer(found);
  }
  if (m == "join") {
    const auto v = bind_args(a, {{"iterable", Value(), true}}, what);
    std::string out;
    const auto items = iterate(v[0]);
    for (size_t k = 0; k < items.size(); ++k) {
      if (items[k].kind != Kind::String)
        fail("sequence item " + std::to_string(k) + ": expected str instance, " + type_name(items[k]) +
             " found");
      if (k) out += self.s;
      out += items[k].s;
    }
    return Value::string(std::move(out));
  }
  if (m == "format") return Value::string(str_format(self.s, a));
  if (m == "center" || m == "ljust" || m == "rjust") {
    const auto v = bind_args(a, {{"width", Value(), true}, {"fillchar", Value::string(" ")}}, what);
    const std::u32string fill = uni::decode(arg_str(v[1], "fill character"));
    if (fill.size() != 1) fail("The fill character must be exactly one character long");
    return str(pad(s, to_index(v[0], "width"), fill[0], m == "center" ? 0 : m == "ljust" ? -1 : 1));
  }
  if (m == "zfill") {
    const auto v = bind_args(a, {{"width", Value(), true}}, what);
    const int64_t width = to_index(v[0], "width");
    if (static_cast<int64_t>(s.size()) >= width) return self;
    const bool sign = !s.empty() && (s[0] == '+' || s[0] == '-');
    std::u32string out = sign ? s.substr(0, 1) : U"";
    out += std::u32string(width - s.size(), U'0') + (sign ? s.substr(1) : s);
    return str(out);
  }
  if (m == "partition" || m == "rpartition") {
    const auto v = bind_args(a, {{"sep", Value(), true}}, what);
    const std::u32string sep = uni::decode(arg_str(v[0], "sep"));
    if (sep.empty()) fail("empty separator");
    const size_t f = m == "partition" ? s.find(sep) : s.rfind(sep);
    std::vector<Value> parts;
    if (f == std::u32string::npos) {
      parts = m == "partition" ? std::vector<Value>{self, Value::string(""), Value::string("")}
                               : std::vector<Value>{Value::string(""), Value::string(""), self};
    } else {
      parts = {str(s.substr(0, f)), v[0], str(s.substr(f + sep.size()))};
    }
    return Value::make_list(std::move(parts), ListKind::Tuple);
  }
  if (m == "removeprefix" || m == "removesuffix") {
    const auto v = bind_args(a, {{"affix", Value(), true}}, what);
    const std::string& x = arg_str(v[0], what + "() argument");
    if (m == "removeprefix" && self.s.compare(0, x.size(), x) == 0)
      return Value::string(self.s.substr(x.size()));
    if (m == "removesuffix" && !x.empty() && self.s.size() >= x.size() &&
        self.s.compare(self.s.size() - x.size(), x.size(), x) == 0)
      return Value::string(self.s.substr(0, self.s.size() - x.size()));
    return Value::string(self.s);
  }
  bind_args(a, {}, what);
  if (m == "isspace") return Value::boolean(!s.empty() && std::all_of(s.begin(), s.end(), uni::is_space));
  if (m == "isupper" || m == "islower") {
    bool cased = false;
    for (char32_t c : s) {
      if (m == "isupper" ? uni::is_lower(c) : uni::is_upper(c)) return Value::boolean(false);
      cased = cased || uni::is_cased(c);
    }
    return Value::boolean(cased);
  }
  if (m == "isascii") return Value::boolean(uni::is_ascii(self.s));
  if (m == "isdigit" || m == "isdecimal" || m == "isnumeric" || m == "isalpha" || m == "isalnum")
    return Value::boolean(ascii_pred(s, m));
  fail("unsupported: str." + m + "()");
}

Value dict_method(const Value& self, const std::string& m, const Args& a) {
  const std::string what = "dict." + m;
  const auto& items = self.dict->items;
  if (m == "get") {
    const auto v = bind_args(a, {{"key", Value(), true}, {"default", Value::none()}}, what);
    const Value* found = self.dict->find(v[0]);
    return found ? *found : v[1];
  }
  bind_args(a, {}, what);
  if (m == "copy") {
    Value d = Value::make_dict();
    d.dict->items = items;
    return d;
  }
  std::vector<Value> out;
  out.reserve(items.size());
  for (const auto& [k, v] : items) {
    if (m == "keys")
      out.push_back(k);
    else if (m == "values")
      out.push_back(v);
    else
      out.push_back(Value::make_list({k, v}, ListKind::Tuple));
  }
  return Value::make_list(std::move(out), m == "keys"     ? ListKind::DictKeys
                                          : m == "values" ? ListKind::DictValues
                                                          : ListKind::DictItems);
}

Value list_method(const Value& self, const std::string& m, const Args& a) {
  const std::string what = type_name(self) + "." + m;
  if (m == "copy") {
    bind_args(a, {}, what);
    return Value::make_list(self.list->items, self.list->kind);
  }
  const auto v = bind_args(a, {{"value", Value(), true}}, what);
  int64_t n = 0;
  for (size_t k = 0; k < self.list->items.size(); ++k) {
    if (!py_equal(self.list->items[k], v[0])) continue;
    if (m == "index") return Value::integer(static_cast<int64_t>(k));
    ++n;
  }
  if (m == "index") fail(repr(v[0]) + " is not in list");
  return Value::integer(n);
}

Value unsafe(const std::string& name, const Value& obj) {
  return Value::undefined("access to attribute '" + name + "' of '" + type_name(obj) + "' object is unsafe.");
}

}  // namespace

std::u32string py_capitalize(const std::u32string& s) {
  return capitalize(s);
}

Value call_str_method(const Value& self, const std::string& name, const Args& args) {
  return str_method(self, name, args);
}

bool bind_method(const Value& obj, const std::string& name, Value* out) {
  static const std::set<std::string> str_methods = {
      "strip",        "lstrip",      "rstrip",  "split",     "rsplit",     "splitlines", "startswith",
      "endswith",     "upper",       "lower",   "title",     "capitalize", "swapcase",   "replace",
      "find",         "rfind",       "index",   "rindex",    "count",      "join",       "format",
      "center",       "ljust",       "rjust",   "zfill",     "partition",  "rpartition", "removeprefix",
      "removesuffix", "isspace",     "isupper", "islower",   "isascii",    "isdigit",    "isdecimal",
      "isnumeric",    "isalpha",     "isalnum", "casefold",  "encode",     "expandtabs", "format_map",
      "isidentifier", "isprintable", "istitle", "maketrans", "translate"};
  static const std::set<std::string> dict_unsafe = {"clear", "pop", "popitem", "setdefault", "update"};
  static const std::set<std::string> list_unsafe = {"append", "clear",  "extend",  "insert",
                                                    "pop",    "remove", "reverse", "sort"};
  if (obj.kind == Kind::String) {
    if (!str_methods.count(name)) return false;
    *out = bound(obj, name, str_method);
    return true;
  }
  if (obj.is_mapping()) {
    if (name == "get" || name == "copy" || name == "keys" || name == "values" || name == "items") {
      *out = bound(obj, name, dict_method);
      return true;
    }
    if (dict_unsafe.count(name)) {
      *out = unsafe(name, obj);
      return true;
    }
    if (name == "fromkeys") {
      *out = Value::undefined("unsupported: dict.fromkeys");
      return true;
    }
    return false;
  }
  if (obj.kind == Kind::List && (obj.list->kind == ListKind::List || obj.list->kind == ListKind::Tuple)) {
    const bool is_list = obj.list->kind == ListKind::List;
    if (name == "count" || name == "index" || (is_list && name == "copy")) {
      *out = bound(obj, name, list_method);
      return true;
    }
    if (is_list && list_unsafe.count(name)) {
      *out = unsafe(name, obj);
      return true;
    }
  }
  return false;
}

}  // namespace r1::jinja
