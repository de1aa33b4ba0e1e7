// jinja2's built-in tests (`x is defined`, `x is divisibleby 3`, `x is equalto y`, ...).
#include <cmath>
#include <set>

#include "tokenizer/jinja/ast.h"
#include "tokenizer/jinja/builtins.h"
#include "tokenizer/jinja/unicode.h"

namespace r1::jinja {
namespace {

const std::set<std::string> kTests = {
    "boolean",  "callable", "defined", "divisibleby", "eq",     "equalto",     "escaped", "even",
    "false",    "filter",   "float",   "ge",          "gt",     "greaterthan", "in",      "integer",
    "iterable", "le",       "lower",   "lessthan",    "lt",     "mapping",     "ne",      "none",
    "number",   "odd",      "sameas",  "sequence",    "string", "test",        "true",    "undefined",
    "upper",    "==",       "!=",      "<",           "<=",     ">",           ">="};

Value mod2(const Value& v) {
  return binary_op("%", v, Value::integer(2));
}

bool str_case(const Value& v, bool upper) {
  bool cased = false;
  for (char32_t c : uni::decode(to_str(v))) {
    if (upper ? uni::is_lower(c) : uni::is_upper(c)) return false;
    cased = cased || uni::is_cased(c);
  }
  return cased;
}

}  // namespace

bool is_known_test(const std::string& name) {
  return kTests.count(name) > 0;
}

bool call_test(const std::string& t, const Value& v, const Args& a) {
  auto one = [&](const char* pname) { return bind_args(a, {{pname, Value(), true}}, t)[0]; };
  auto none = [&]() { bind_args(a, {}, t); };
  if (t == "defined") return none(), !v.is_undefined();
  if (t == "undefined") return none(), v.is_undefined();
  if (t == "none") return none(), v.is_none();
  if (t == "boolean") return none(), v.kind == Kind::Bool;
  if (t == "true") return none(), v.kind == Kind::Bool && v.b;
  if (t == "false") return none(), v.kind == Kind::Bool && !v.b;
  if (t == "integer") return none(), v.kind == Kind::Int;
  if (t == "float") return none(), v.kind == Kind::Float;
  if (t == "number") return none(), v.is_number();
  if (t == "string") return none(), v.kind == Kind::String;
  if (t == "mapping") return none(), v.is_mapping();
  if (t == "callable")
    return none(), v.kind == Kind::Func || v.is_undefined() ||
                       (v.kind == Kind::Dict && v.dict->kind == DictKind::Loop);
  if (t == "escaped") return none(), v.kind == Kind::String && v.b;
  if (t == "iterable") {
    none();
    return v.kind == Kind::Undefined || v.kind == Kind::String || v.kind == Kind::List || v.is_mapping();
  }
  if (t == "sequence") {
    none();
    if (v.kind == Kind::Undefined || v.kind == Kind::String || v.is_mapping()) return true;
    return v.kind == Kind::List && (v.list->kind == ListKind::List || v.list->kind == ListKind::Tuple ||
                                    v.list->kind == ListKind::Range);
  }
  if (t == "odd") return none(), py_equal(mod2(v), Value::integer(1));
  if (t == "even") return none(), py_equal(mod2(v), Value::integer(0));
  if (t == "divisibleby") return py_equal(binary_op("%", v, one("num")), Value::integer(0));
  if (t == "lower") return none(), str_case(v, false);
  if (t == "upper") return none(), str_case(v, true);
  if (t == "eq" || t == "equalto" || t == "==") return compare_op("==", v, one("other"));
  if (t == "ne" || t == "!=") return compare_op("!=", v, one("other"));
  if (t == "lt" || t == "lessthan" || t == "<") return compare_op("<", v, one("other"));
  if (t == "le" || t == "<=") return compare_op("<=", v, one("other"));
  if (t == "gt" || t == "greaterthan" || t == ">") return compare_op(">", v, one("other"));
  if (t == "ge" || t == ">=") return compare_op(">=", v, one("other"));
  if (t == "in") return contains(one("seq"), v);
  if (t == "filter") return none(), v.kind == Kind::String && is_known_filter(v.s);
  if (t == "test") return none(), v.kind == Kind::String && is_known_test(v.s);
  if (t == "sameas") {
    const Value o = one("other");
    if (v.kind != o.kind) {
      if (v.is_number() && o.is_number()) return false;
      return false;
    }
    switch (v.kind) {
      case Kind::None:
      case Kind::Undefined:
        return v.kind == Kind::None;
      case Kind::Bool:
        return v.b == o.b;
      case Kind::List:
        return v.list == o.list;
      case Kind::Dict:
        return v.dict == o.dict;
      case Kind::Func:
        return v.fn == o.fn;
      case Kind::Int:
        if (v.i >= -5 && v.i <= 256) return v.i == o.i;
        [[fallthrough]];
      default:
        fail("unsupported: 'sameas' on " + type_name(v) + " values (Python object identity)");
    }
  }
  fail("no test named '" + t + "'");
}

}  // namespace r1::jinja
