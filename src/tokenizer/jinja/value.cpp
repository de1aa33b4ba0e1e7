#include "tokenizer/jinja/value.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

#include "tokenizer/jinja/unicode.h"

namespace r1::jinja {

Value Value::undefined(std::string hint) {
  Value v;
  v.s = std::move(hint);
  return v;
}
Value Value::none() {
  Value v;
  v.kind = Kind::None;
  return v;
}
Value Value::boolean(bool b) {
  Value v;
  v.kind = Kind::Bool;
  v.b = b;
  return v;
}
Value Value::integer(int64_t i) {
  Value v;
  v.kind = Kind::Int;
  v.i = i;
  return v;
}
Value Value::number(double f) {
  Value v;
  v.kind = Kind::Float;
  v.f = f;
  return v;
}
Value Value::string(std::string s, bool markup) {
  Value v;
  v.kind = Kind::String;
  v.s = std::move(s);
  v.b = markup;
  return v;
}
Value Value::make_list(std::vector<Value> items, ListKind lk) {
  Value v;
  v.kind = Kind::List;
  v.list = std::make_shared<ListData>();
  v.list->kind = lk;
  v.list->items = std::move(items);
  return v;
}
Value Value::make_dict(DictKind dk) {
  Value v;
  v.kind = Kind::Dict;
  v.dict = std::make_shared<DictData>();
  v.dict->kind = dk;
  return v;
}

bool Value::is_mapping() const {
  return kind == Kind::Dict && dict->kind == DictKind::Dict;
}
bool Value::is_namespace() const {
  return kind == Kind::Dict && dict->kind == DictKind::Namespace;
}
ListKind Value::list_kind() const {
  return list->kind;
}
const std::vector<Value>& Value::items() const {
  return list->items;
}

const Value* DictData::find(const Value& key) const {
  if (key.kind == Kind::String) return find(std::string_view(key.s));
  for (const auto& [k, v] : items)
    if (py_equal(k, key)) return &v;
  return nullptr;
}
const Value* DictData::find(std::string_view key) const {
  for (const auto& [k, v] : items)
    if (k.kind == Kind::String && k.s == key) return &v;
  return nullptr;
}
void DictData::set(const Value& key, Value v) {
  for (auto& [k, old] : items)
    if (py_equal(k, key)) {
      old = std::move(v);
      return;
    }
  items.emplace_back(key, std::move(v));
}
void DictData::set(const std::string& key, Value v) {
  set(Value::string(key), std::move(v));
}

void fail(const std::string& msg) {
  throw RuntimeError(msg);
}

void fail_undefined(const Value& v) {
  fail(v.s.empty() ? std::string("value is undefined") : v.s);
}

std::string type_name(const Value& v) {
  switch (v.kind) {
    case Kind::Undefined:
      return "Undefined";
    case Kind::None:
      return "NoneType";
    case Kind::Bool:
      return "bool";
    case Kind::Int:
      return "int";
    case Kind::Float:
      return "float";
    case Kind::String:
      return "str";
    case Kind::List:
      switch (v.list->kind) {
        case ListKind::List:
          return "list";
        case ListKind::Tuple:
          return "tuple";
        case ListKind::Iterator:
          return "generator";
        case ListKind::DictItems:
          return "dict_items";
        case ListKind::DictKeys:
          return "dict_keys";
        case ListKind::DictValues:
          return "dict_values";
        case ListKind::Range:
          return "range";
      }
      break;
    case Kind::Dict:
      return v.dict->kind == DictKind::Dict        ? "dict"
             : v.dict->kind == DictKind::Namespace ? "Namespace"
                                                   : "LoopContext";
    case Kind::Func:
      return "function";
  }
  return "object";
}

bool truthy(const Value& v) {
  switch (v.kind) {
    case Kind::Undefined:
    case Kind::None:
      return false;
    case Kind::Bool:
      return v.b;
    case Kind::Int:
      return v.i != 0;
    case Kind::Float:
      return v.f != 0.0;
    case Kind::String:
      return !v.s.empty();
    case Kind::List:
      return v.list->kind == ListKind::Iterator || !v.list->items.empty();
    case Kind::Dict:
      return v.dict->kind != DictKind::Dict || !v.dict->items.empty();
    case Kind::Func:
      return true;
  }
  return false;
}

namespace {

bool num_equal(const Value& a, const Value& b) {
  if (a.kind != Kind::Float && b.kind != Kind::Float) {
    const int64_t x = a.kind == Kind::Bool ? a.b : a.i, y = b.kind == Kind::Bool ? b.b : b.i;
    return x == y;
  }
  const double x = a.kind == Kind::Float ? a.f : a.kind == Kind::Bool ? a.b : static_cast<double>(a.i);
  const double y = b.kind == Kind::Float ? b.f : b.kind == Kind::Bool ? b.b : static_cast<double>(b.i);
  return x == y;
}

bool seq_kind_comparable(ListKind a, ListKind b) {
  if (a != b) return false;
  return a == ListKind::List || a == ListKind::Tuple || a == ListKind::Range;
}

}  // namespace

bool py_equal(const Value& a, const Value& b) {
  if (a.is_number() && b.is_number()) return num_equal(a, b);
  if (a.kind != b.kind) return false;
  switch (a.kind) {
    case Kind::Undefined:
    case Kind::None:
      return true;
    case Kind::String:
      return a.s == b.s;
    case Kind::List: {
      if (a.list == b.list) return true;
      const ListKind ka = a.list->kind, kb = b.list->kind;
      if (ka == ListKind::DictKeys && kb == ListKind::DictKeys) {
        if (a.list->items.size() != b.list->items.size()) return false;
        for (const Value& x : a.list->items)
          if (std::none_of(b.list->items.begin(), b.list->items.end(),
                           [&](const Value& y) { return py_equal(x, y); }))
            return false;
        return true;
      }
      if (!seq_kind_comparable(ka, kb)) return false;
      const auto& x = a.list->items;
      const auto& y = b.list->items;
      if (x.size() != y.size()) return false;
      for (size_t i = 0; i < x.size(); ++i)
        if (!py_equal(x[i], y[i])) return false;
      return true;
    }
    case Kind::Dict: {
      if (a.dict == b.dict) return true;
      if (a.dict->kind != DictKind::Dict || b.dict->kind != DictKind::Dict) return false;
      if (a.dict->items.size() != b.dict->items.size()) return false;
      for (const auto& [k, v] : a.dict->items) {
        const Value* o = b.dict->find(k);
        if (!o || !py_equal(v, *o)) return false;
      }
      return true;
    }
    case Kind::Func:
      return a.fn == b.fn;
    default:
      return false;
  }
}

int py_compare(const Value& a, const Value& b) {
  if (a.is_number() && b.is_number()) {
    if (a.kind != Kind::Float && b.kind != Kind::Float) {
      const int64_t x = a.kind == Kind::Bool ? a.b : a.i, y = b.kind == Kind::Bool ? b.b : b.i;
      return x < y ? -1 : x > y ? 1 : 0;
    }
    const double x = a.kind == Kind::Float ? a.f : a.kind == Kind::Bool ? a.b : static_cast<double>(a.i);
    const double y = b.kind == Kind::Float ? b.f : b.kind == Kind::Bool ? b.b : static_cast<double>(b.i);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (a.kind == Kind::String && b.kind == Kind::String) return a.s < b.s ? -1 : a.s > b.s ? 1 : 0;
  if (a.kind == Kind::List && b.kind == Kind::List && a.list->kind == b.list->kind &&
      (a.list->kind == ListKind::List || a.list->kind == ListKind::Tuple)) {
    const auto& x = a.list->items;
    const auto& y = b.list->items;
    for (size_t i = 0; i < x.size() && i < y.size(); ++i)
      if (!py_equal(x[i], y[i])) return py_compare(x[i], y[i]);
    return x.size() < y.size() ? -1 : x.size() > y.size() ? 1 : 0;
  }
  if (a.is_undefined()) fail_undefined(a);
  if (b.is_undefined()) fail_undefined(b);
  fail("'<' not supported between instances of '" + type_name(a) + "' and '" + type_name(b) + "'");
}

std::string float_repr(double d) {
  if (std::isnan(d)) return "nan";
  if (std::isinf(d)) return d < 0 ? "-inf" : "inf";
  char buf[64];
  const auto res = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
  std::string sci(buf, res.ptr);
  std::string out;
  size_t p = 0;
  if (sci[0] == '-') out.push_back('-'), p = 1;
  const size_t epos = sci.find('e');
  std::string digits;
  for (size_t k = p; k < epos; ++k)
    if (sci[k] != '.') digits.push_back(sci[k]);
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
  const int exp = std::stoi(sci.substr(epos + 1));
  const int decpt = exp + 1;
  if (decpt <= -4 || decpt > 16) {
    out += digits.substr(0, 1);
    if (digits.size() > 1) out += "." + digits.substr(1);
    char eb[16];
    std::snprintf(eb, sizeof eb, "e%c%02d", exp < 0 ? '-' : '+', std::abs(exp));
    out += eb;
  } else if (decpt <= 0) {
    out += "0." + std::string(static_cast<size_t>(-decpt), '0') + digits;
  } else if (static_cast<size_t>(decpt) >= digits.size()) {
    out += digits + std::string(decpt - digits.size(), '0') + ".0";
  } else {
    out += digits.substr(0, decpt) + "." + digits.substr(decpt);
  }
  return out;
}

std::string str_repr(std::string_view s) {
  const bool has_single = s.find('\'') != std::string_view::npos;
  const bool has_double = s.find('"') != std::string_view::npos;
  const char q = has_single && !has_double ? '"' : '\'';
  std::string out(1, q);
  for (char32_t c : uni::decode(s)) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == static_cast<char32_t>(q)) {
      out += '\\';
      out += q;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (!uni::is_printable(c)) {
      char buf[16];
      if (c < 0x100)
        std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned>(c));
      else if (c < 0x10000)
        std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
      else
        std::snprintf(buf, sizeof buf, "\\U%08x", static_cast<unsigned>(c));
      out += buf;
    } else {
      uni::append_utf8(out, c);
    }
  }
  out.push_back(q);
  return out;
}

namespace {

std::string join_repr(const std::vector<Value>& items) {
  std::string out;
  for (size_t k = 0; k < items.size(); ++k) {
    if (k) out += ", ";
    out += repr(items[k]);
  }
  return out;
}

std::string dict_repr(const DictData& d) {
  std::string out = "{";
  for (size_t k = 0; k < d.items.size(); ++k) {
    if (k) out += ", ";
    out += repr(d.items[k].first) + ": " + repr(d.items[k].second);
  }
  return out + "}";
}

}  // namespace

std::string repr(const Value& v) {
  switch (v.kind) {
    case Kind::Undefined:
      return "Undefined";
    case Kind::None:
      return "None";
    case Kind::Bool:
      return v.b ? "True" : "False";
    case Kind::Int:
      return std::to_string(v.i);
    case Kind::Float:
      return float_repr(v.f);
    case Kind::String:
      return v.b ? "Markup(" + str_repr(v.s) + ")" : str_repr(v.s);
    case Kind::List: {
      const auto& items = v.list->items;
      switch (v.list->kind) {
        case ListKind::List:
          return "[" + join_repr(items) + "]";
        case ListKind::Tuple:
          return items.size() == 1 ? "(" + repr(items[0]) + ",)" : "(" + join_repr(items) + ")";
        case ListKind::DictItems:
          return "dict_items([" + join_repr(items) + "])";
        case ListKind::DictKeys:
          return "dict_keys([" + join_repr(items) + "])";
        case ListKind::DictValues:
          return "dict_values([" + join_repr(items) + "])";
        case ListKind::Range: {
          std::string r =
              "range(" + std::to_string(v.list->range_start) + ", " + std::to_string(v.list->range_stop);
          if (v.list->range_step != 1) r += ", " + std::to_string(v.list->range_step);
          return r + ")";
        }
        case ListKind::Iterator:
          fail(
              "cannot render a generator/iterator object (jinja2 would print its address); apply |list "
              "first");
      }
      break;
    }
    case Kind::Dict:
      if (v.dict->kind == DictKind::Dict) return dict_repr(*v.dict);
      if (v.dict->kind == DictKind::Namespace) return "<Namespace " + dict_repr(*v.dict) + ">";
      fail("cannot render the loop object");
    case Kind::Func:
      fail("cannot render " + v.fn->name + " (jinja2 would print its address)");
  }
  return "";
}

std::string to_str(const Value& v) {
  if (v.kind == Kind::String) return v.s;
  if (v.kind == Kind::Undefined) return "";
  return repr(v);
}

Value from_json(const nlohmann::ordered_json& j) {
  using J = nlohmann::ordered_json;
  switch (j.type()) {
    case J::value_t::null:
      return Value::none();
    case J::value_t::boolean:
      return Value::boolean(j.get<bool>());
    case J::value_t::number_integer:
      return Value::integer(j.get<int64_t>());
    case J::value_t::number_unsigned: {
      const uint64_t u = j.get<uint64_t>();
      if (u > static_cast<uint64_t>(INT64_MAX))
        throw Error("chat template context: integer " + std::to_string(u) + " is out of range");
      return Value::integer(static_cast<int64_t>(u));
    }
    case J::value_t::number_float:
      return Value::number(j.get<double>());
    case J::value_t::string:
      return Value::string(j.get<std::string>());
    case J::value_t::array: {
      std::vector<Value> items;
      items.reserve(j.size());
      for (const auto& e : j) items.push_back(from_json(e));
      return Value::make_list(std::move(items));
    }
    case J::value_t::object: {
      Value d = Value::make_dict();
      d.dict->items.reserve(j.size());
      for (auto it = j.begin(); it != j.end(); ++it)
        d.dict->items.emplace_back(Value::string(it.key()), from_json(it.value()));
      return d;
    }
    default:
      throw Error("chat template context: unsupported JSON value (binary or discarded)");
  }
}

std::vector<Value> iterate(const Value& v) {
  switch (v.kind) {
    case Kind::Undefined:
      return {};
    case Kind::String: {
      std::vector<Value> out;
      for (char32_t c : uni::decode(v.s)) {
        std::string ch;
        uni::append_utf8(ch, c);
        out.push_back(Value::string(std::move(ch)));
      }
      return out;
    }
    case Kind::List:
      return v.list->items;
    case Kind::Dict:
      if (v.dict->kind == DictKind::Dict) {
        std::vector<Value> keys;
        keys.reserve(v.dict->items.size());
        for (const auto& kv : v.dict->items) keys.push_back(kv.first);
        return keys;
      }
      break;
    default:
      break;
  }
  fail("'" + type_name(v) + "' object is not iterable");
}

int64_t py_len(const Value& v) {
  switch (v.kind) {
    case Kind::Undefined:
      return 0;
    case Kind::String:
      return static_cast<int64_t>(uni::length(v.s));
    case Kind::List:
      if (v.list->kind != ListKind::Iterator) return static_cast<int64_t>(v.list->items.size());
      break;
    case Kind::Dict:
      if (v.dict->kind == DictKind::Dict) return static_cast<int64_t>(v.dict->items.size());
      if (v.dict->kind == DictKind::Loop) {
        const Value* n = v.dict->find("length");
        return n ? n->i : 0;
      }
      break;
    default:
      break;
  }
  fail("object of type '" + type_name(v) + "' has no len()");
}

std::vector<Value> bind_args(const Args& args, const std::vector<Param>& params, const std::string& what) {
  std::vector<Value> out(params.size());
  std::vector<bool> set(params.size(), false);
  if (args.pos.size() > params.size())
    fail(what + "() takes at most " + std::to_string(params.size()) + " argument(s), " +
         std::to_string(args.pos.size()) + " given");
  for (size_t k = 0; k < args.pos.size(); ++k) out[k] = args.pos[k], set[k] = true;
  for (const auto& [name, val] : args.kw) {
    size_t k = 0;
    while (k < params.size() && name != params[k].name) ++k;
    if (k == params.size()) fail(what + "() got an unexpected keyword argument '" + name + "'");
    if (set[k]) fail(what + "() got multiple values for argument '" + name + "'");
    out[k] = val, set[k] = true;
  }
  for (size_t k = 0; k < params.size(); ++k) {
    if (set[k]) continue;
    if (params[k].required) fail(what + "() missing required argument '" + std::string(params[k].name) + "'");
    out[k] = params[k].def;
  }
  return out;
}

}  // namespace r1::jinja
