// json.dumps() as transformers' `tojson` filter calls it: ensure_ascii, indent, separators and
// sort_keys; floats as Python repr (NaN/Infinity spelled as Python does), keys converted like Python.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "tokenizer/jinja/unicode.h"
#include "tokenizer/jinja/value.h"

namespace r1::jinja {

namespace {

void json_string(std::string& out, std::string_view s, bool ensure_ascii) {
  out.push_back('"');
  for (char32_t c : uni::decode(s)) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default: {
        char buf[16];
        if (c < 0x20 || (ensure_ascii && c >= 0x7F)) {
          if (c >= 0x10000) {
            const char32_t v = c - 0x10000;
            std::snprintf(buf, sizeof buf, "\\u%04x\\u%04x", static_cast<unsigned>(0xD800 | (v >> 10)),
                          static_cast<unsigned>(0xDC00 | (v & 0x3FF)));
          } else {
            std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
          }
          out += buf;
        } else {
          uni::append_utf8(out, c);
        }
      }
    }
  }
  out.push_back('"');
}

std::string json_float(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d < 0 ? "-Infinity" : "Infinity";
  return float_repr(d);
}

std::string json_key(const Value& k) {
  switch (k.kind) {
    case Kind::String:
      return k.s;
    case Kind::Bool:
      return k.b ? "true" : "false";
    case Kind::Int:
      return std::to_string(k.i);
    case Kind::Float:
      return json_float(k.f);
    case Kind::None:
      return "null";
    default:
      fail("keys must be str, int, float, bool or None, not " + type_name(k));
  }
}

void json_value(std::string& out, const Value& v, const JsonOptions& o, int level) {
  auto newline = [&](int lvl) {
    out.push_back('\n');
    for (int k = 0; k < lvl; ++k) out += o.indent;
  };
  switch (v.kind) {
    case Kind::None:
      out += "null";
      return;
    case Kind::Bool:
      out += v.b ? "true" : "false";
      return;
    case Kind::Int:
      out += std::to_string(v.i);
      return;
    case Kind::Float:
      out += json_float(v.f);
      return;
    case Kind::String:
      json_string(out, v.s, o.ensure_ascii);
      return;
    case Kind::List:
      if (v.list->kind == ListKind::List || v.list->kind == ListKind::Tuple) {
        const auto& items = v.list->items;
        if (items.empty()) {
          out += "[]";
          return;
        }
        out.push_back('[');
        for (size_t k = 0; k < items.size(); ++k) {
          if (k) out += o.item_sep;
          if (o.has_indent) newline(level + 1);
          json_value(out, items[k], o, level + 1);
        }
        if (o.has_indent) newline(level);
        out.push_back(']');
        return;
      }
      break;
    case Kind::Dict:
      if (v.dict->kind == DictKind::Dict) {
        if (v.dict->items.empty()) {
          out += "{}";
          return;
        }
        std::vector<const std::pair<Value, Value>*> entries;
        for (const auto& kv : v.dict->items) entries.push_back(&kv);
        if (o.sort_keys)
          std::stable_sort(entries.begin(), entries.end(),
                           [](const auto* a, const auto* b) { return py_compare(a->first, b->first) < 0; });
        out.push_back('{');
        for (size_t k = 0; k < entries.size(); ++k) {
          if (k) out += o.item_sep;
          if (o.has_indent) newline(level + 1);
          json_string(out, json_key(entries[k]->first), o.ensure_ascii);
          out += o.key_sep;
          json_value(out, entries[k]->second, o, level + 1);
        }
        if (o.has_indent) newline(level);
        out.push_back('}');
        return;
      }
      break;
    default:
      break;
  }
  fail("Object of type " + type_name(v) + " is not JSON serializable");
}

}  // namespace

std::string to_json(const Value& v, const JsonOptions& opt) {
  std::string out;
  json_value(out, v, opt, 0);
  return out;
}

}  // namespace r1::jinja
