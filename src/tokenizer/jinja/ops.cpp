// Python operator semantics and jinja2's (sandboxed) attribute / item lookup.
#include <cmath>

#include "tokenizer/jinja/builtins.h"
#include "tokenizer/jinja/unicode.h"

namespace r1::jinja {
namespace {

bool intlike(const Value& v) {
  return v.kind == Kind::Int || v.kind == Kind::Bool;
}
int64_t as_int(const Value& v) {
  return v.kind == Kind::Bool ? v.b : v.i;
}
double as_double(const Value& v) {
  return v.kind == Kind::Float  ? v.f
         : v.kind == Kind::Bool ? static_cast<double>(v.b)
                                : static_cast<double>(v.i);
}

[[noreturn]] void overflow() {
  fail("integer overflow: the result does not fit in 64 bits");
}

[[noreturn]] void bad_operands(const std::string& op, const Value& a, const Value& b) {
  if (a.is_undefined()) fail_undefined(a);
  if (b.is_undefined()) fail_undefined(b);
  if (op == "+" && (a.kind == Kind::String || (a.kind == Kind::List && a.list->kind == ListKind::List)))
    fail("can only concatenate " + type_name(a) + " (not \"" + type_name(b) + "\") to " + type_name(a));
  fail("unsupported operand type(s) for " + op + ": '" + type_name(a) + "' and '" + type_name(b) + "'");
}

Value repeat(const Value& seq, int64_t n) {
  if (seq.kind == Kind::String) {
    std::string out;
    for (int64_t k = 0; k < n; ++k) out += seq.s;
    return Value::string(std::move(out));
  }
  std::vector<Value> out;
  for (int64_t k = 0; k < n; ++k) out.insert(out.end(), seq.list->items.begin(), seq.list->items.end());
  return Value::make_list(std::move(out), seq.list->kind);
}

bool is_seq(const Value& v) {
  return v.kind == Kind::String ||
         (v.kind == Kind::List && (v.list->kind == ListKind::List || v.list->kind == ListKind::Tuple));
}

double py_fmod(double a, double b) {
  double mod = std::fmod(a, b);
  if (mod != 0) {
    if ((b < 0) != (mod < 0)) mod += b;
  } else {
    mod = std::copysign(0.0, b);
  }
  return mod;
}

double py_floordiv(double a, double b) {
  double mod = std::fmod(a, b);
  double div = (a - mod) / b;
  if (mod != 0 && ((b < 0) != (mod < 0))) div -= 1.0;
  if (div != 0) {
    double fl = std::floor(div);
    if (div - fl > 0.5) fl += 1.0;
    return fl;
  }
  return std::copysign(0.0, a / b);
}

Value int_pow(int64_t base, int64_t exp) {
  int64_t result = 1;
  while (exp > 0) {
    if (exp & 1)
      if (__builtin_mul_overflow(result, base, &result)) overflow();
    exp >>= 1;
    if (exp && __builtin_mul_overflow(base, base, &base)) overflow();
  }
  return Value::integer(result);
}

std::string object_repr(const Value& obj) {
  if (obj.kind == Kind::None) return "None";
  if (obj.is_namespace()) return "jinja2.utils.Namespace object";
  if (obj.kind == Kind::Dict && obj.dict->kind == DictKind::Loop) return "jinja2.runtime.LoopContext object";
  return type_name(obj) + " object";
}

Value no_attribute(const Value& obj, const std::string& name) {
  return Value::undefined("'" + object_repr(obj) + "' has no attribute '" + name + "'");
}

}  // namespace

int64_t to_index(const Value& v, const char* what) {
  if (intlike(v)) return as_int(v);
  if (v.is_undefined()) fail_undefined(v);
  fail(std::string(what) + " must be integers, not " + type_name(v));
}

Value binary_op(const std::string& op, const Value& a, const Value& b) {
  if (op == "~") return Value::string(to_str(a) + to_str(b));
  const bool nums = a.is_number() && b.is_number();
  const bool ints = intlike(a) && intlike(b);
  if (op == "+") {
    if (ints) {
      int64_t r;
      if (__builtin_add_overflow(as_int(a), as_int(b), &r)) overflow();
      return Value::integer(r);
    }
    if (nums) return Value::number(as_double(a) + as_double(b));
    if (a.kind == Kind::String && b.kind == Kind::String) {
      if (a.b != b.b)  // markupsafe.Markup escapes the plain str it is added to
        return Value::string(a.b ? a.s + html_escape(b.s) : html_escape(a.s) + b.s, true);
      return Value::string(a.s + b.s, a.b);
    }
    if (a.kind == Kind::List && b.kind == Kind::List && a.list->kind == b.list->kind &&
        (a.list->kind == ListKind::List || a.list->kind == ListKind::Tuple)) {
      std::vector<Value> out = a.list->items;
      out.insert(out.end(), b.list->items.begin(), b.list->items.end());
      return Value::make_list(std::move(out), a.list->kind);
    }
    bad_operands(op, a, b);
  }
  if (op == "-") {
    if (ints) {
      int64_t r;
      if (__builtin_sub_overflow(as_int(a), as_int(b), &r)) overflow();
      return Value::integer(r);
    }
    if (nums) return Value::number(as_double(a) - as_double(b));
    bad_operands(op, a, b);
  }
  if (op == "*") {
    if (ints) {
      int64_t r;
      if (__builtin_mul_overflow(as_int(a), as_int(b), &r)) overflow();
      return Value::integer(r);
    }
    if (nums) return Value::number(as_double(a) * as_double(b));
    if (is_seq(a) && intlike(b)) return repeat(a, as_int(b));
    if (intlike(a) && is_seq(b)) return repeat(b, as_int(a));
    bad_operands(op, a, b);
  }
  if (op == "/") {
    if (!nums) bad_operands(op, a, b);
    if (as_double(b) == 0) fail("division by zero");
    return Value::number(as_double(a) / as_double(b));
  }
  if (op == "//") {
    if (!nums) bad_operands(op, a, b);
    if (ints) {
      const int64_t x = as_int(a), y = as_int(b);
      if (y == 0) fail("integer division or modulo by zero");
      if (x == INT64_MIN && y == -1) overflow();
      int64_t q = x / y;
      if ((x % y != 0) && ((x < 0) != (y < 0))) --q;
      return Value::integer(q);
    }
    if (as_double(b) == 0) fail("float floor division by zero");
    return Value::number(py_floordiv(as_double(a), as_double(b)));
  }
  if (op == "%") {
    if (a.kind == Kind::String) return Value::string(percent_format(a.s, b));
    if (!nums) bad_operands(op, a, b);
    if (ints) {
      const int64_t x = as_int(a), y = as_int(b);
      if (y == 0) fail("integer division or modulo by zero");
      if (y == -1) return Value::integer(0);
      int64_t r = x % y;
      if (r != 0 && ((r < 0) != (y < 0))) r += y;
      return Value::integer(r);
    }
    if (as_double(b) == 0) fail("float modulo");
    return Value::number(py_fmod(as_double(a), as_double(b)));
  }
  if (op == "**") {
    if (!nums) bad_operands(op, a, b);
    if (ints && as_int(b) >= 0) return int_pow(as_int(a), as_int(b));
    const double x = as_double(a), y = as_double(b);
    if (x == 0 && y < 0) fail("0.0 cannot be raised to a negative power");
    if (x < 0 && y != std::floor(y))
      fail("unsupported: negative number raised to a fractional power (complex result)");
    const double r = std::pow(x, y);
    if (std::isinf(r) && std::isfinite(x) && std::isfinite(y)) fail("(34, 'Numerical result out of range')");
    return Value::number(r);
  }
  fail("unknown operator '" + op + "'");
}

Value unary_op(const std::string& op, const Value& a) {
  if (a.is_undefined()) fail_undefined(a);
  if (intlike(a)) {
    if (op == "+") return Value::integer(as_int(a));
    if (as_int(a) == INT64_MIN) overflow();
    return Value::integer(-as_int(a));
  }
  if (a.kind == Kind::Float) return Value::number(op == "-" ? -a.f : a.f);
  fail("bad operand type for unary " + op + ": '" + type_name(a) + "'");
}

bool contains(const Value& container, const Value& item) {
  switch (container.kind) {
    case Kind::Undefined:
      return false;
    case Kind::String:
      if (item.kind != Kind::String) {
        if (item.is_undefined()) fail_undefined(item);
        fail("'in <string>' requires string as left operand, not " + type_name(item));
      }
      return container.s.find(item.s) != std::string::npos;
    case Kind::List:
      for (const Value& v : container.list->items)
        if (py_equal(v, item)) return true;
      return false;
    case Kind::Dict:
      if (container.dict->kind == DictKind::Dict) {
        if (item.kind == Kind::List && item.list->kind != ListKind::Tuple)
          fail("unhashable type: '" + type_name(item) + "'");
        if (item.kind == Kind::Dict) fail("unhashable type: '" + type_name(item) + "'");
        return container.dict->find(item) != nullptr;
      }
      break;
    default:
      break;
  }
  fail("argument of type '" + type_name(container) + "' is not iterable");
}

bool compare_op(const std::string& op, const Value& a, const Value& b) {
  if (op == "==") return py_equal(a, b);
  if (op == "!=") return !py_equal(a, b);
  if (op == "in") return contains(b, a);
  if (op == "notin") return !contains(b, a);
  const int c = py_compare(a, b);
  if (op == "<") return c < 0;
  if (op == ">") return c > 0;
  if (op == "<=") return c <= 0;
  if (op == ">=") return c >= 0;
  fail("unknown comparison '" + op + "'");
}

Value getattr(const Value& obj, const std::string& name) {
  if (obj.is_undefined()) fail_undefined(obj);
  if (name.size() > 1 && name[0] == '_' && name[1] == '_')
    return Value::undefined("access to attribute '" + name + "' of '" + type_name(obj) +
                            "' object is unsafe.");
  Value m;
  if (obj.kind == Kind::Dict) {
    if (obj.dict->kind == DictKind::Dict && bind_method(obj, name, &m)) return m;
    if (const Value* v = obj.dict->find(std::string_view(name))) return *v;
    return no_attribute(obj, name);
  }
  if (bind_method(obj, name, &m)) return m;
  return no_attribute(obj, name);
}

Value getitem(const Value& obj, const Value& key) {
  if (obj.is_undefined()) fail_undefined(obj);
  if (obj.kind == Kind::Dict && obj.dict->kind == DictKind::Dict) {
    if (!(key.kind == Kind::List && key.list->kind != ListKind::Tuple) && key.kind != Kind::Dict)
      if (const Value* v = obj.dict->find(key)) return *v;
  } else if (is_seq(obj) || (obj.kind == Kind::List && obj.list->kind == ListKind::Range)) {
    if (intlike(key)) {
      int64_t idx = as_int(key);
      const bool str = obj.kind == Kind::String;
      const std::u32string cps = str ? uni::decode(obj.s) : std::u32string();
      const int64_t n = str ? static_cast<int64_t>(cps.size()) : static_cast<int64_t>(obj.list->items.size());
      if (idx < 0) idx += n;
      if (idx >= 0 && idx < n) {
        if (!str) return obj.list->items[idx];
        std::string ch;
        uni::append_utf8(ch, cps[idx]);
        return Value::string(std::move(ch));
      }
      return Value::undefined("'" + object_repr(obj) + "' has no element " + std::to_string(as_int(key)));
    }
  }
  if (key.kind == Kind::String) return getattr(obj, key.s);
  return Value::undefined("'" + object_repr(obj) + "' has no element " + repr(key));
}

Value slice(const Value& obj, const Value& start, const Value& stop, const Value& step) {
  if (obj.is_undefined()) fail_undefined(obj);
  const bool str = obj.kind == Kind::String;
  if (!str &&
      !(obj.kind == Kind::List && (obj.list->kind == ListKind::List || obj.list->kind == ListKind::Tuple ||
                                   obj.list->kind == ListKind::Range)))
    fail(obj.is_mapping() ? std::string("unhashable type: 'slice'")
                          : "'" + type_name(obj) + "' object is not subscriptable");
  const std::u32string cps = str ? uni::decode(obj.s) : std::u32string();
  const int64_t n = str ? static_cast<int64_t>(cps.size()) : static_cast<int64_t>(obj.list->items.size());
  const int64_t st = step.is_none() ? 1 : to_index(step, "slice indices");
  if (st == 0) fail("slice step cannot be zero");
  auto adjust = [&](const Value& v, bool is_start) {
    if (v.is_none()) return is_start ? (st < 0 ? n - 1 : 0) : (st < 0 ? -1 : n);
    int64_t x = to_index(v, "slice indices");
    if (x < 0) {
      x += n;
      if (x < 0) x = st < 0 ? -1 : 0;
    } else if (x >= n) {
      x = st < 0 ? n - 1 : n;
    }
    return x;
  };
  const int64_t b = adjust(start, true), e = adjust(stop, false);
  std::u32string s_out;
  std::vector<Value> l_out;
  for (int64_t k = b; st > 0 ? k < e : k > e; k += st) {
    if (str)
      s_out.push_back(cps[k]);
    else
      l_out.push_back(obj.list->items[k]);
  }
  if (str) return Value::string(uni::encode(s_out));
  return Value::make_list(std::move(l_out),
                          obj.list->kind == ListKind::Tuple ? ListKind::Tuple : ListKind::List);
}

}  // namespace r1::jinja
