// jinja2's built-in filters (3.1 semantics, autoescape off) plus transformers' `tojson` override.
#include <algorithm>
#include <cmath>
#include <set>

#include "tokenizer/jinja/ast.h"
#include "tokenizer/jinja/builtins.h"
#include "tokenizer/jinja/unicode.h"

namespace r1::jinja {
namespace {

const std::set<std::string> kImplemented = {
    "abs",      "attr",       "batch",  "capitalize", "center",  "count",       "d",      "default",
    "dictsort", "e",          "escape", "first",      "float",   "forceescape", "format", "indent",
    "int",      "items",      "join",   "last",       "length",  "list",        "lower",  "map",
    "max",      "min",        "reject", "rejectattr", "replace", "reverse",     "round",  "safe",
    "select",   "selectattr", "sort",   "string",     "sum",     "title",       "tojson", "trim",
    "truncate", "unique",     "upper"};
const std::set<std::string> kUnsupported = {"filesizeformat", "groupby",   "pprint",    "random",
                                            "slice",          "striptags", "urlencode", "urlize",
                                            "wordcount",      "wordwrap",  "xmlattr"};

Value lower_if_str(const Value& v) {
  return v.kind == Kind::String ? Value::string(uni::encode(uni::lower(uni::decode(v.s)))) : v;
}

// jinja2's make_attrgetter: "a.b.0" walks getitem() per dotted part (digits become ints).
Value get_path(const Value& item, const Value& attribute) {
  if (attribute.kind != Kind::String) return getitem(item, attribute);
  Value cur = item;
  size_t p = 0;
  const std::string& a = attribute.s;
  while (true) {
    const size_t dot = a.find('.', p);
    const std::string part = a.substr(p, dot == std::string::npos ? std::string::npos : dot - p);
    const bool digits = !part.empty() && part.find_first_not_of("0123456789") == std::string::npos;
    cur = getitem(cur, digits ? Value::integer(std::stoll(part)) : Value::string(part));
    if (dot == std::string::npos) return cur;
    p = dot + 1;
  }
}

// Sort key: attribute lookup (comma-separated attributes give a tuple key) and optional case folding.
Value sort_key(const Value& item, const Value& attribute, bool case_sensitive) {
  if (attribute.is_none()) return case_sensitive ? item : lower_if_str(item);
  if (attribute.kind == Kind::String && attribute.s.find(',') != std::string::npos) {
    std::vector<Value> parts;
    size_t p = 0;
    while (true) {
      const size_t c = attribute.s.find(',', p);
      const Value k = get_path(
          item, Value::string(attribute.s.substr(p, c == std::string::npos ? std::string::npos : c - p)));
      parts.push_back(case_sensitive ? k : lower_if_str(k));
      if (c == std::string::npos) break;
      p = c + 1;
    }
    return Value::make_list(std::move(parts), ListKind::Tuple);
  }
  const Value k = get_path(item, attribute);
  return case_sensitive ? k : lower_if_str(k);
}

std::vector<Value> sorted(std::vector<Value> items, const std::vector<Value>& keys, bool reverse) {
  std::vector<size_t> idx(items.size());
  for (size_t k = 0; k < idx.size(); ++k) idx[k] = k;
  std::stable_sort(idx.begin(), idx.end(), [&](size_t a, size_t b) {
    return reverse ? py_compare(keys[b], keys[a]) < 0 : py_compare(keys[a], keys[b]) < 0;
  });
  std::vector<Value> out;
  out.reserve(items.size());
  for (size_t k : idx) out.push_back(std::move(items[k]));
  return out;
}

Value iterator(std::vector<Value> items) {
  return Value::make_list(std::move(items), ListKind::Iterator);
}

std::string jinja_title(const std::string& s) {
  // Words start after runs of [-\s({\[<]; each word: first char upper(), rest lower().
  const std::u32string cps = uni::decode(s);
  auto delim = [](char32_t c) {
    return c == '-' || c == '(' || c == '{' || c == '[' || c == '<' || uni::is_space(c);
  };
  std::u32string out;
  size_t i = 0;
  while (i < cps.size()) {
    size_t j = i;
    const bool d = delim(cps[i]);
    while (j < cps.size() && delim(cps[j]) == d) ++j;
    const std::u32string item = cps.substr(i, j - i);
    out += d ? item : uni::upper(item.substr(0, 1)) + uni::lower(item.substr(1));
    i = j;
  }
  return uni::encode(out);
}

Value to_int(const Value& v, const Value& def, int64_t base) {
  auto parse = [](std::string s, int64_t b, int64_t* out) {
    s = uni::strip(s, nullptr, true, true);
    std::string t;
    for (size_t k = 0; k < s.size(); ++k) {
      if (s[k] == '_' && k > 0 && k + 1 < s.size() && std::isalnum(static_cast<unsigned char>(s[k - 1])) &&
          std::isalnum(static_cast<unsigned char>(s[k + 1])))
        continue;
      t.push_back(s[k]);
    }
    if (t.empty()) return false;
    size_t p = (t[0] == '+' || t[0] == '-') ? 1 : 0;
    if (b == 16 && t.size() > p + 1 && t[p] == '0' && (t[p + 1] == 'x' || t[p + 1] == 'X')) t.erase(p, 2);
    if (b == 8 && t.size() > p + 1 && t[p] == '0' && (t[p + 1] == 'o' || t[p + 1] == 'O')) t.erase(p, 2);
    if (b == 2 && t.size() > p + 1 && t[p] == '0' && (t[p + 1] == 'b' || t[p + 1] == 'B')) t.erase(p, 2);
    if (t.size() <= p || !std::isalnum(static_cast<unsigned char>(t[p]))) return false;
    errno = 0;
    char* end = nullptr;
    const long long x = std::strtoll(t.c_str(), &end, static_cast<int>(b));
    if (*end) return false;
    if (errno) fail("int(): " + s + " is out of the 64-bit range");
    *out = x;
    return true;
  };
  auto from_float = [&](double d) -> Value {
    if (std::isnan(d)) return def;
    if (std::isinf(d)) fail("cannot convert float infinity to integer");
    if (std::fabs(d) >= 9.2e18) fail("int(): value is out of the 64-bit range");
    return Value::integer(static_cast<int64_t>(std::trunc(d)));
  };
  int64_t x;
  switch (v.kind) {
    case Kind::Int:
      return v;
    case Kind::Bool:
      return Value::integer(v.b);
    case Kind::Float:
      return from_float(v.f);
    case Kind::String: {
      if (parse(v.s, base, &x)) return Value::integer(x);
      const std::string t = uni::strip(v.s, nullptr, true, true);
      char* end = nullptr;
      const double d = std::strtod(t.c_str(), &end);
      if (!t.empty() && !*end && t.find_first_of("xXpP") == std::string::npos) return from_float(d);
      return def;
    }
    default:
      return def;
  }
}

Value to_float(const Value& v, const Value& def) {
  switch (v.kind) {
    case Kind::Float:
      return v;
    case Kind::Int:
      return Value::number(static_cast<double>(v.i));
    case Kind::Bool:
      return Value::number(v.b);
    case Kind::String: {
      const std::string raw = uni::strip(v.s, nullptr, true, true);
      std::string t;
      for (size_t k = 0; k < raw.size(); ++k) {
        if (raw[k] != '_') {
          t.push_back(raw[k]);
          continue;
        }
        // Python accepts '_' only between two digits.
        if (k == 0 || k + 1 == raw.size() || !std::isdigit(static_cast<unsigned char>(raw[k - 1])) ||
            !std::isdigit(static_cast<unsigned char>(raw[k + 1])))
          return def;
      }
      if (t.empty() || t.find_first_of("xXpP(") != std::string::npos) return def;
      char* end = nullptr;
      const double d = std::strtod(t.c_str(), &end);
      return *end ? def : Value::number(d);
    }
    default:
      return def;
  }
}

Value py_round(const Value& v, int64_t precision, const std::string& method) {
  if (method != "common" && method != "ceil" && method != "floor")
    fail("method must be common, ceil or floor");
  if (!v.is_number()) {
    if (v.is_undefined()) fail_undefined(v);
    fail("type " + type_name(v) + " doesn't define __round__ method");
  }
  const double x = v.kind == Kind::Float ? v.f : v.kind == Kind::Bool ? v.b : static_cast<double>(v.i);
  if (method != "common") {
    const double m = std::pow(10.0, static_cast<double>(precision));
    return Value::number((method == "ceil" ? std::ceil(x * m) : std::floor(x * m)) / m);
  }
  if (v.kind != Kind::Float) {
    if (precision >= 0) return Value::integer(v.kind == Kind::Bool ? v.b : v.i);
    fail("unsupported: round() of an integer to negative digits");
  }
  if (!std::isfinite(x)) return v;
  if (precision >= 0) {
    char buf[400];
    std::snprintf(buf, sizeof buf, "%.*f", static_cast<int>(std::min<int64_t>(precision, 300)), x);
    return Value::number(std::strtod(buf, nullptr));
  }
  const double p = std::pow(10.0, static_cast<double>(-precision));
  const double y = x / p;
  double z = std::round(y);
  if (std::fabs(y - z) == 0.5) z = 2.0 * std::round(y / 2.0);
  return Value::number(z * p);
}

std::string indent(const std::string& text, const Value& width, bool first, bool blank) {
  const std::string ind =
      width.kind == Kind::String
          ? width.s
          : std::string(static_cast<size_t>(std::max<int64_t>(0, to_index(width, "width"))), ' ');
  // str.splitlines() of text + "\n"
  const std::u32string s = uni::decode(text + "\n");
  std::vector<std::string> lines;
  size_t i = 0;
  while (i < s.size()) {
    size_t j = i;
    while (j < s.size() && !uni::is_line_break(s[j])) ++j;
    lines.push_back(uni::encode(s.substr(i, j - i)));
    i = (j < s.size() && s[j] == '\r' && j + 1 < s.size() && s[j + 1] == '\n') ? j + 2 : j + 1;
  }
  std::string rv;
  if (blank) {
    for (size_t k = 0; k < lines.size(); ++k) rv += (k ? "\n" + ind : "") + lines[k];
  } else {
    rv = lines.empty() ? "" : lines[0];
    for (size_t k = 1; k < lines.size(); ++k) rv += "\n" + (lines[k].empty() ? "" : ind + lines[k]);
  }
  return first ? ind + rv : rv;
}

Value select_or_reject(const Value& v, const Args& a, bool select, bool by_attr) {
  const std::string fname = std::string(select ? "select" : "reject") + (by_attr ? "attr" : "");
  if (by_attr && a.pos.empty()) fail(fname + ": missing parameter for attribute name");
  const size_t off = by_attr ? 1 : 0;
  Args test_args;
  std::string test;
  if (a.pos.size() > off) {
    if (a.pos[off].kind != Kind::String) fail(fname + ": test name must be a string");
    test = a.pos[off].s;
    test_args.pos.assign(a.pos.begin() + static_cast<long>(off) + 1, a.pos.end());
    test_args.kw = a.kw;
  } else if (!a.kw.empty()) {
    fail(fname + "() got an unexpected keyword argument '" + a.kw[0].first + "'");
  }
  std::vector<Value> out;
  if (!truthy(v)) return iterator({});
  for (const Value& item : iterate(v)) {
    const Value x = by_attr ? get_path(item, a.pos[0]) : item;
    const bool ok = test.empty() ? truthy(x) : call_test(test, x, test_args);
    if (ok == select) out.push_back(item);
  }
  return iterator(std::move(out));
}

Value do_map(const Value& v, const Args& a) {
  std::vector<Value> out;
  if (a.pos.empty()) {
    Value attribute, def = Value::none();
    bool has_attr = false;
    for (const auto& [k, val] : a.kw) {
      if (k == "attribute")
        attribute = val, has_attr = true;
      else if (k == "default")
        def = val;
      else
        fail("map: unexpected keyword argument '" + k + "'");
    }
    if (!has_attr) fail("map requires a filter argument");
    if (!truthy(v)) return iterator({});
    for (const Value& item : iterate(v)) {
      Value x = get_path(item, attribute);
      if (x.is_undefined() && !def.is_none()) x = def;
      out.push_back(std::move(x));
    }
    return iterator(std::move(out));
  }
  if (a.pos[0].kind != Kind::String) fail("map: filter name must be a string");
  const std::string name = a.pos[0].s;
  if (!is_known_filter(name)) fail("No filter named '" + name + "'.");
  Args rest;
  rest.pos.assign(a.pos.begin() + 1, a.pos.end());
  rest.kw = a.kw;
  if (!truthy(v)) return iterator({});
  for (const Value& item : iterate(v)) out.push_back(call_filter(name, item, rest));
  return iterator(std::move(out));
}

Value min_max(const Value& v, const Args& a, bool is_max, const std::string& f) {
  const auto p = bind_args(a, {{"case_sensitive", Value::boolean(false)}, {"attribute", Value::none()}}, f);
  const auto items = iterate(v);
  if (items.empty()) return Value::undefined("No aggregated item, sequence was empty.");
  size_t best = 0;
  Value best_key = sort_key(items[0], p[1], truthy(p[0]));
  for (size_t k = 1; k < items.size(); ++k) {
    Value key = sort_key(items[k], p[1], truthy(p[0]));
    if (is_max ? py_compare(key, best_key) > 0 : py_compare(key, best_key) < 0)
      best = k, best_key = std::move(key);
  }
  return items[best];
}

Value tojson(const Value& v, const Args& a) {
  const auto p = bind_args(a,
                           {{"ensure_ascii", Value::boolean(false)},
                            {"indent", Value::none()},
                            {"separators", Value::none()},
                            {"sort_keys", Value::boolean(false)}},
                           "tojson");
  JsonOptions o;
  o.ensure_ascii = truthy(p[0]);
  if (!p[1].is_none()) {
    o.has_indent = true;
    o.indent = p[1].kind == Kind::String
                   ? p[1].s
                   : std::string(static_cast<size_t>(std::max<int64_t>(0, to_index(p[1], "indent"))), ' ');
    o.item_sep = ",";
  }
  if (!p[2].is_none()) {
    const auto seps = iterate(p[2]);
    if (seps.size() != 2 || seps[0].kind != Kind::String || seps[1].kind != Kind::String)
      fail("tojson: separators must be a pair of strings");
    o.item_sep = seps[0].s;
    o.key_sep = seps[1].s;
  }
  o.sort_keys = truthy(p[3]);
  return Value::string(to_json(v, o));
}

}  // namespace

bool is_known_filter(const std::string& name) {
  return kImplemented.count(name) || kUnsupported.count(name);
}

Value call_filter(const std::string& f, const Value& v, const Args& a) {
  auto args = [&](const std::vector<Param>& params) { return bind_args(a, params, f); };
  auto str = [](std::string s) { return Value::string(std::move(s)); };
  auto u32 = [&]() { return uni::decode(to_str(v)); };
  if (kUnsupported.count(f)) fail("unsupported filter '" + f + "'");
  if (f == "default" || f == "d") {
    const auto p = args({{"default_value", str("")}, {"boolean", Value::boolean(false)}});
    return (v.is_undefined() || (truthy(p[1]) && !truthy(v))) ? p[0] : v;
  }
  if (f == "tojson") return tojson(v, a);
  if (f == "length" || f == "count") return args({}), Value::integer(py_len(v));
  if (f == "safe") return args({}), Value::string(to_str(v), true);
  if (f == "escape" || f == "e" || f == "forceescape") {
    args({});
    if (v.kind == Kind::String && v.b && f != "forceescape") return v;
    return Value::string(html_escape(to_str(v)), true);
  }
  if (f == "string") return args({}), v.kind == Kind::String ? v : str(to_str(v));
  if (f == "upper") return args({}), str(uni::encode(uni::upper(u32())));
  if (f == "lower") return args({}), str(uni::encode(uni::lower(u32())));
  if (f == "title") return args({}), str(jinja_title(to_str(v)));
  if (f == "capitalize") {
    args({});
    return str(uni::encode(py_capitalize(u32())));
  }
  if (f == "trim") {
    const auto p = args({{"chars", Value::none()}});
    if (p[0].is_none()) return str(uni::strip(to_str(v), nullptr, true, true));
    const std::u32string chars = uni::decode(to_str(p[0]));
    return str(uni::strip(to_str(v), &chars, true, true));
  }
  if (f == "replace") {
    const auto p = args({{"old", Value(), true}, {"new", Value(), true}, {"count", Value::none()}});
    Args ra;
    ra.pos = {str(to_str(p[0])), str(to_str(p[1])), p[2].is_none() ? Value::integer(-1) : p[2]};
    return call_str_method(str(to_str(v)), "replace", ra);
  }
  if (f == "center") {
    const auto p = args({{"width", Value::integer(80)}});
    Args ra;
    ra.pos = {p[0]};
    return call_str_method(str(to_str(v)), "center", ra);
  }
  if (f == "truncate") {
    const auto p = args({{"length", Value::integer(255)},
                         {"killwords", Value::boolean(false)},
                         {"end", str("...")},
                         {"leeway", Value::integer(5)}});
    const std::u32string end = uni::decode(to_str(p[2]));
    const int64_t length = to_index(p[0], "length"), leeway = to_index(p[3], "leeway");
    if (length < static_cast<int64_t>(end.size()))
      fail("expected length >= " + std::to_string(end.size()) + ", got " + std::to_string(length));
    if (py_len(v) <= length + leeway) return v;
    if (v.kind != Kind::String) fail("'" + type_name(v) + "' object has no attribute 'rsplit'");
    const std::u32string s = u32();
    std::u32string head = s.substr(0, length - end.size());
    if (!truthy(p[1])) {
      const size_t sp = head.rfind(U' ');
      if (sp != std::u32string::npos) head.resize(sp);
    }
    return str(uni::encode(head + end));
  }
  if (f == "indent") {
    if (v.is_undefined()) fail_undefined(v);  // jinja2 appends "\n" to the value first
    if (v.kind != Kind::String) fail("unsupported operand type(s) for +=: '" + type_name(v) + "' and 'str'");
    const auto p = args(
        {{"width", Value::integer(4)}, {"first", Value::boolean(false)}, {"blank", Value::boolean(false)}});
    return str(indent(to_str(v), p[0], truthy(p[1]), truthy(p[2])));
  }
  if (f == "format") {
    if (!a.kw.empty() && !a.pos.empty())
      fail("format: can't handle positional and keyword arguments at the same time");
    Value fa;
    if (!a.kw.empty()) {
      fa = Value::make_dict();
      for (const auto& [k, val] : a.kw) fa.dict->set(k, val);
    } else {
      fa = Value::make_list(a.pos, ListKind::Tuple);
    }
    return str(percent_format(to_str(v), fa));
  }
  if (f == "join") {
    const auto p = args({{"d", str("")}, {"attribute", Value::none()}});
    std::string out;
    const std::string sep = to_str(p[0]);
    bool firstitem = true;
    for (const Value& item : iterate(v)) {
      if (!firstitem) out += sep;
      firstitem = false;
      out += to_str(p[1].is_none() ? item : get_path(item, p[1]));
    }
    return str(std::move(out));
  }
  if (f == "first") {
    args({});
    const auto items = iterate(v);
    return items.empty() ? Value::undefined("No first item, sequence was empty.") : items.front();
  }
  if (f == "last") {
    args({});
    if (v.kind == Kind::List && v.list->kind == ListKind::Iterator)
      fail("'generator' object is not reversible");
    const auto items = iterate(v);
    return items.empty() ? Value::undefined("No last item, sequence was empty.") : items.back();
  }
  if (f == "list") return args({}), Value::make_list(iterate(v));
  if (f == "items") {
    args({});
    if (v.is_undefined()) return iterator({});
    if (!v.is_mapping()) fail("Can only get item pairs from a mapping.");
    std::vector<Value> out;
    for (const auto& [k, val] : v.dict->items) out.push_back(Value::make_list({k, val}, ListKind::Tuple));
    return iterator(std::move(out));
  }
  if (f == "reverse") {
    args({});
    if (v.kind == Kind::String) {
      std::u32string s = u32();
      std::reverse(s.begin(), s.end());
      return str(uni::encode(s));
    }
    if (v.kind == Kind::List && v.list->kind == ListKind::Iterator)
      fail("'generator' object is not reversible");
    auto items = iterate(v);
    std::reverse(items.begin(), items.end());
    return iterator(std::move(items));
  }
  if (f == "sort") {
    const auto p = args({{"reverse", Value::boolean(false)},
                         {"case_sensitive", Value::boolean(false)},
                         {"attribute", Value::none()}});
    auto items = iterate(v);
    std::vector<Value> keys;
    for (const Value& item : items) keys.push_back(sort_key(item, p[2], truthy(p[1])));
    return Value::make_list(sorted(std::move(items), keys, truthy(p[0])));
  }
  if (f == "dictsort") {
    const auto p = args(
        {{"case_sensitive", Value::boolean(false)}, {"by", str("key")}, {"reverse", Value::boolean(false)}});
    if (!v.is_mapping()) fail("dictsort: value is not a dict");
    const std::string by = to_str(p[1]);
    if (by != "key" && by != "value") fail("You can only sort by either \"key\" or \"value\"");
    std::vector<Value> items, keys;
    for (const auto& [k, val] : v.dict->items) {
      items.push_back(Value::make_list({k, val}, ListKind::Tuple));
      keys.push_back(truthy(p[0]) ? (by == "key" ? k : val) : lower_if_str(by == "key" ? k : val));
    }
    return Value::make_list(sorted(std::move(items), keys, truthy(p[2])));
  }
  if (f == "unique") {
    const auto p = args({{"case_sensitive", Value::boolean(false)}, {"attribute", Value::none()}});
    std::vector<Value> seen, out;
    for (const Value& item : iterate(v)) {
      const Value key = sort_key(item, p[1], truthy(p[0]));
      if (key.kind == Kind::Dict || (key.kind == Kind::List && key.list->kind == ListKind::List))
        fail("unhashable type: '" + type_name(key) + "'");
      if (std::none_of(seen.begin(), seen.end(), [&](const Value& s) { return py_equal(s, key); })) {
        seen.push_back(key);
        out.push_back(item);
      }
    }
    return iterator(std::move(out));
  }
  if (f == "max" || f == "min") return min_max(v, a, f == "max", f);
  if (f == "sum") {
    const auto p = args({{"attribute", Value::none()}, {"start", Value::integer(0)}});
    Value total = p[1];
    for (const Value& item : iterate(v))
      total = binary_op("+", total, p[0].is_none() ? item : get_path(item, p[0]));
    return total;
  }
  if (f == "map") return do_map(v, a);
  if (f == "select" || f == "reject") return select_or_reject(v, a, f == "select", false);
  if (f == "selectattr" || f == "rejectattr") return select_or_reject(v, a, f == "selectattr", true);
  if (f == "int") {
    if (v.is_undefined()) fail_undefined(v);  // Undefined.__int__ raises
    const auto p = args({{"default", Value::integer(0)}, {"base", Value::integer(10)}});
    return to_int(v, p[0], to_index(p[1], "base"));
  }
  if (f == "float") {
    if (v.is_undefined()) fail_undefined(v);
    const auto p = args({{"default", Value::number(0.0)}});
    return to_float(v, p[0]);
  }
  if (f == "abs") {
    args({});
    if (v.kind == Kind::Int || v.kind == Kind::Bool) {
      const int64_t x = v.kind == Kind::Bool ? v.b : v.i;
      if (x == INT64_MIN) fail("integer overflow: the result does not fit in 64 bits");
      return Value::integer(x < 0 ? -x : x);
    }
    if (v.kind == Kind::Float) return Value::number(std::fabs(v.f));
    if (v.is_undefined()) fail_undefined(v);
    fail("bad operand type for abs(): '" + type_name(v) + "'");
  }
  if (f == "round") {
    const auto p = args({{"precision", Value::integer(0)}, {"method", str("common")}});
    return py_round(v, to_index(p[0], "precision"), to_str(p[1]));
  }
  if (f == "attr") {
    const auto p = args({{"name", Value(), true}});
    const std::string name = to_str(p[0]);
    if (v.is_undefined()) fail_undefined(v);
    if (v.kind == Kind::Dict && v.dict->kind != DictKind::Dict) return getattr(v, name);
    Value m;
    if (bind_method(v, name, &m)) return m;
    return Value::undefined("'" + type_name(v) + " object' has no attribute '" + name + "'");
  }
  if (f == "batch") {
    const auto p = args({{"linecount", Value(), true}, {"fill_with", Value::none()}});
    const int64_t n = to_index(p[0], "linecount");
    if (n <= 0) fail("batch: linecount must be positive");
    std::vector<Value> out, cur;
    for (const Value& item : iterate(v)) {
      cur.push_back(item);
      if (static_cast<int64_t>(cur.size()) == n) out.push_back(Value::make_list(std::move(cur))), cur.clear();
    }
    if (!cur.empty()) {
      if (!p[1].is_none())
        while (static_cast<int64_t>(cur.size()) < n) cur.push_back(p[1]);
      out.push_back(Value::make_list(std::move(cur)));
    }
    return iterator(std::move(out));
  }
  fail("no filter named '" + f + "'");
}

}  // namespace r1::jinja
