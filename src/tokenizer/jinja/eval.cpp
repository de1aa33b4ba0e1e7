#include "tokenizer/jinja/eval.h"

#include <chrono>
#include <ctime>

#include "tokenizer/jinja/builtins.h"
#include "tokenizer/jinja/jinja.h"
#include "tokenizer/jinja/lexer.h"

namespace r1::jinja {

const Value* Scope::lookup(const std::string& name) const {
  for (const Scope* s = this; s; s = s->parent.get()) {
    const auto it = s->vars.find(name);
    if (it != s->vars.end()) return &it->second;
  }
  return nullptr;
}

namespace {

constexpr int kMaxDepth = 200;
constexpr int64_t kMaxRange = 100000;  // jinja2 sandbox's MAX_RANGE

ScopePtr child(const ScopePtr& parent) {
  auto s = std::make_shared<Scope>();
  s->parent = parent;
  return s;
}

Value func(const std::string& name, std::function<Value(Interp&, Args&)> f) {
  Value v;
  v.kind = Kind::Func;
  v.fn = std::make_shared<FuncData>();
  v.fn->name = name;
  v.fn->call = std::move(f);
  return v;
}

void bind_targets(Scope& scope, const std::vector<std::string>& names, bool tuple_target, const Value& v) {
  if (!tuple_target) {
    scope.vars[names[0]] = v;
    return;
  }
  const auto items = iterate(v);
  if (items.size() < names.size())
    fail("not enough values to unpack (expected " + std::to_string(names.size()) + ", got " +
         std::to_string(items.size()) + ")");
  if (items.size() > names.size())
    fail("too many values to unpack (expected " + std::to_string(names.size()) + ")");
  for (size_t k = 0; k < names.size(); ++k) scope.vars[names[k]] = items[k];
}

Value make_mapping(const Args& a, DictKind kind, const std::string& what) {
  if (a.pos.size() > 1)
    fail(what + " expected at most 1 positional argument, got " + std::to_string(a.pos.size()));
  Value d = Value::make_dict(kind);
  if (!a.pos.empty()) {
    const Value& src = a.pos[0];
    if (src.is_mapping()) {
      d.dict->items = src.dict->items;
    } else {
      for (const Value& pair : iterate(src)) {
        const auto kv = iterate(pair);
        if (kv.size() != 2)
          fail(what + ": dictionary update sequence element has length " + std::to_string(kv.size()) +
               "; 2 is required");
        d.dict->set(kv[0], kv[1]);
      }
    }
  }
  for (const auto& [k, v] : a.kw) d.dict->set(k, v);
  return d;
}

Value range_fn(Interp&, Args& a) {
  if (!a.kw.empty()) fail("range() takes no keyword arguments");
  if (a.pos.empty() || a.pos.size() > 3)
    fail("range expected 1 to 3 arguments, got " + std::to_string(a.pos.size()));
  int64_t start = 0, stop, step = 1;
  if (a.pos.size() == 1) {
    stop = to_index(a.pos[0], "range() arguments");
  } else {
    start = to_index(a.pos[0], "range() arguments");
    stop = to_index(a.pos[1], "range() arguments");
    if (a.pos.size() == 3) step = to_index(a.pos[2], "range() arguments");
  }
  if (step == 0) fail("range() arg 3 must not be zero");
  std::vector<Value> items;
  for (int64_t x = start; step > 0 ? x < stop : x > stop; x += step) {
    if (static_cast<int64_t>(items.size()) >= kMaxRange)
      fail("Range too big. The sandbox blocks ranges larger than MAX_RANGE (100000).");
    items.push_back(Value::integer(x));
  }
  Value r = Value::make_list(std::move(items), ListKind::Range);
  r.list->range_start = start, r.list->range_stop = stop, r.list->range_step = step;
  return r;
}

Value strftime_now(Interp&, Args& a) {
  const auto p = bind_args(a, {{"format", Value(), true}}, "strftime_now");
  if (p[0].kind != Kind::String) fail("strftime_now() argument must be str, not " + type_name(p[0]));
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  const auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count() % 1000000;
  std::tm tm{};
  localtime_r(&t, &tm);
  const std::string& fmt = p[0].s;
  std::string out, chunk;
  auto flush = [&]() {
    if (chunk.empty()) return;
    std::vector<char> buf(256 + chunk.size() * 8);
    size_t n = std::strftime(buf.data(), buf.size(), chunk.c_str(), &tm);
    out.append(buf.data(), n);
    chunk.clear();
  };
  for (size_t k = 0; k < fmt.size(); ++k) {
    if (fmt[k] == '%' && k + 1 < fmt.size()) {
      const char c = fmt[k + 1];
      if (c == 'f' || c == 'z' || c == 'Z') {  // handled by Python itself (naive datetime: no zone)
        flush();
        if (c == 'f') {
          char b[8];
          std::snprintf(b, sizeof b, "%06lld", static_cast<long long>(micros));
          out += b;
        }
        ++k;
        continue;
      }
      chunk += fmt[k];
      chunk += fmt[++k];
      continue;
    }
    chunk += fmt[k];
  }
  flush();
  return Value::string(std::move(out));
}

// A literal number under unary minus/plus signs, which jinja2's optimizer folds to a constant.
bool literal_number(const Expr& e, double* value) {
  if (e.kind == EK::Unary) {
    if (!literal_number(*e.a[0], value)) return false;
    if (e.name == "-") *value = -*value;
    return true;
  }
  if (e.kind != EK::Const || !(e.value.kind == Kind::Int || e.value.kind == Kind::Float)) return false;
  *value = e.value.kind == Kind::Int ? static_cast<double>(e.value.i) : e.value.f;
  return true;
}

struct DepthGuard {
  int& d;
  explicit DepthGuard(int& depth) : d(depth) {
    if (++d > kMaxDepth) {
      --d;
      fail("maximum recursion depth exceeded in macro calls");
    }
  }
  ~DepthGuard() { --d; }
};

}  // namespace

Interp::Interp(const nlohmann::ordered_json& context) {
  if (!context.is_object()) throw Error("chat template context must be a JSON object");
  globals_ = std::make_shared<Scope>();
  auto& g = globals_->vars;
  g["range"] = func("range", range_fn);
  g["dict"] = func("dict", [](Interp&, Args& a) { return make_mapping(a, DictKind::Dict, "dict"); });
  g["namespace"] =
      func("namespace", [](Interp&, Args& a) { return make_mapping(a, DictKind::Namespace, "namespace"); });
  g["raise_exception"] = func("raise_exception", [](Interp&, Args& a) -> Value {
    const auto p = bind_args(a, {{"message", Value(), true}}, "raise_exception");
    throw RaisedError("chat template raised: " + to_str(p[0]));
  });
  g["strftime_now"] = func("strftime_now", strftime_now);
  for (const char* name : {"lipsum", "cycler", "joiner"}) {
    const std::string n = name;
    g[n] = func(n, [n](Interp&, Args&) -> Value { fail("unsupported global '" + n + "'"); });
  }
  root_ = child(globals_);
  for (auto it = context.begin(); it != context.end(); ++it) root_->vars[it.key()] = from_json(it.value());
}

std::string Interp::run(const Body& body, const std::vector<std::string>& undefs) {
  for (const auto& name : undefs) root_->vars[name] = Value::undefined("'" + name + "' is undefined");
  std::string out;
  exec(body, root_, out);
  return out;
}

ScopePtr Interp::frame_scope(const Stmt& s, size_t body, const ScopePtr& parent) {
  auto sc = child(parent);
  if (body < s.frame_undefs.size())
    for (const auto& name : s.frame_undefs[body])
      sc->vars[name] = Value::undefined("'" + name + "' is undefined");
  return sc;
}

Flow Interp::exec(const Body& body, const ScopePtr& scope, std::string& out) {
  for (const auto& s : body) {
    const Flow f = exec_stmt(*s, scope, out);
    if (f != Flow::Normal) return f;
  }
  return Flow::Normal;
}

Flow Interp::render_block(const Stmt& s, const ScopePtr& parent, std::string* out) {
  return exec(s.bodies[0], frame_scope(s, 0, parent), *out);
}

Flow Interp::exec_stmt(const Stmt& s, const ScopePtr& scope, std::string& out) {
  try {
    switch (s.kind) {
      case SK::Text:
        out += s.text;
        return Flow::Normal;
      case SK::Output:
        out += to_str(eval(*s.exprs[0], scope));
        return Flow::Normal;
      case SK::If:
        for (size_t k = 0; k < s.exprs.size(); ++k)
          if (truthy(eval(*s.exprs[k], scope))) return exec(s.bodies[k], scope, out);
        if (s.bodies.size() > s.exprs.size()) return exec(s.bodies.back(), scope, out);
        return Flow::Normal;
      case SK::For:
        return exec_for(s, scope, out);
      case SK::Set:
        exec_set(s, scope, eval(*s.exprs[0], scope));
        return Flow::Normal;
      case SK::SetBlock:
      case SK::FilterBlock: {
        std::string body;
        const Flow flow = render_block(s, scope, &body);
        if (flow != Flow::Normal) return flow;  // jinja2 leaves the loop before using the block
        Value v = Value::string(std::move(body));
        const Expr* filter = s.exprs[0].get();
        if (filter) {
          block_values_.push_back(std::move(v));
          try {
            v = eval(*filter, scope);
          } catch (...) {
            block_values_.pop_back();
            throw;
          }
          block_values_.pop_back();
        }
        if (s.kind == SK::SetBlock)
          exec_set(s, scope, std::move(v));
        else
          out += to_str(v);
        return Flow::Normal;
      }
      case SK::Macro:
        scope->vars[s.text] = make_macro(s, scope, false);
        return Flow::Normal;
      case SK::CallBlock: {
        const Expr& call_expr = *s.exprs[0];
        const Value callee = eval(*call_expr.a[0], scope);
        Args args = eval_args(call_expr, 1, scope);
        args.kw.emplace_back("caller", make_macro(s, scope, true));
        out += to_str(call(callee, args));
        return Flow::Normal;
      }
      case SK::With: {
        auto inner = frame_scope(s, 0, scope);
        for (size_t k = 0; k < s.names.size(); ++k) inner->vars[s.names[k]] = eval(*s.exprs[k], scope);
        return exec(s.bodies[0], inner, out);
      }
      case SK::Break:
        return Flow::Break;
      case SK::Continue:
        return Flow::Continue;
    }
  } catch (const RuntimeError& e) {
    throw Error(where(s.line, s.col) + e.what());
  }
  return Flow::Normal;
}

Flow Interp::exec_for(const Stmt& s, const ScopePtr& scope, std::string& out) {
  std::vector<Value> items = iterate(eval(*s.exprs[0], scope));
  if (s.exprs[1]) {
    std::vector<Value> kept;
    for (Value& item : items) {
      auto tmp = child(scope);
      bind_targets(*tmp, s.names, s.tuple_target, item);
      if (truthy(eval(*s.exprs[1], tmp))) kept.push_back(std::move(item));
    }
    items = std::move(kept);
  }
  if (items.empty())
    return s.bodies[1].empty() ? Flow::Normal : exec(s.bodies[1], frame_scope(s, 1, scope), out);
  const int64_t n = static_cast<int64_t>(items.size());
  auto last_changed = std::make_shared<std::vector<Value>>();
  auto has_changed = std::make_shared<bool>(false);
  bool completed = false;
  for (int64_t k = 0; k < n; ++k) {
    auto it = frame_scope(s, 0, scope);
    bind_targets(*it, s.names, s.tuple_target, items[k]);
    Value loop = Value::make_dict(DictKind::Loop);
    auto& d = *loop.dict;
    d.set("index", Value::integer(k + 1));
    d.set("index0", Value::integer(k));
    d.set("revindex", Value::integer(n - k));
    d.set("revindex0", Value::integer(n - k - 1));
    d.set("first", Value::boolean(k == 0));
    d.set("last", Value::boolean(k == n - 1));
    d.set("length", Value::integer(n));
    d.set("depth", Value::integer(1));
    d.set("depth0", Value::integer(0));
    if (k > 0) d.set("previtem", items[k - 1]);
    if (k + 1 < n) d.set("nextitem", items[k + 1]);
    d.set("cycle", func("loop.cycle", [k](Interp&, Args& a) -> Value {
            if (a.pos.empty()) fail("no items for cycling given");
            return a.pos[static_cast<size_t>(k) % a.pos.size()];
          }));
    d.set("changed", func("loop.changed", [last_changed, has_changed](Interp&, Args& a) -> Value {
            const Value now = Value::make_list(a.pos, ListKind::Tuple);
            if (*has_changed && py_equal(Value::make_list(*last_changed, ListKind::Tuple), now))
              return Value::boolean(false);
            *last_changed = a.pos;
            *has_changed = true;
            return Value::boolean(true);
          }));
    it->vars["loop"] = std::move(loop);
    const Flow f = exec(s.bodies[0], it, out);
    if (f == Flow::Normal) completed = true;
    if (f == Flow::Break) break;
  }
  // jinja2 clears its "no iteration" flag at the end of the loop body, so {% else %} also runs when
  // every iteration left the body early through break/continue.
  if (!completed && !s.bodies[1].empty()) return exec(s.bodies[1], frame_scope(s, 1, scope), out);
  return Flow::Normal;
}

void Interp::exec_set(const Stmt& s, const ScopePtr& scope, Value v) {
  if (!s.attr.empty()) {
    const Value* ns = scope->lookup(s.names[0]);
    if (!ns) fail("'" + s.names[0] + "' is undefined");
    if (!ns->is_namespace()) fail("cannot assign attribute on non-namespace object");
    ns->dict->set(s.attr, std::move(v));
    return;
  }
  bind_targets(*scope, s.names, s.tuple_target, v);
}

Value Interp::make_macro(const Stmt& s, const ScopePtr& scope, bool is_caller) {
  // The defining scope is held weakly: the scope owns the macro, so a strong reference would leak.
  std::weak_ptr<Scope> weak = scope;
  const Stmt* st = &s;
  const std::string name = is_caller ? "caller" : s.text;
  return func("macro '" + name + "'", [st, weak, is_caller, name](Interp& in, Args& a) -> Value {
    const ScopePtr parent = weak.lock();
    if (!parent) fail("macro '" + name + "' outlived the scope it was defined in");
    return in.call_macro(*st, parent, is_caller, a);
  });
}

Value Interp::call_macro(const Stmt& s, const ScopePtr& parent, bool is_caller, Args& a) {
  DepthGuard guard(depth_);
  const std::string name = is_caller ? "caller" : s.text;
  const size_t first_default = is_caller ? 1 : 0;
  auto sc = frame_scope(s, 0, parent);
  const size_t np = s.names.size();
  std::vector<bool> bound(np, false);
  std::vector<Value> varargs;
  for (size_t k = 0; k < a.pos.size(); ++k) {
    if (k < np) {
      sc->vars[s.names[k]] = a.pos[k];
      bound[k] = true;
    } else {
      varargs.push_back(a.pos[k]);
    }
  }
  if (!varargs.empty() && !s.uses_varargs)
    fail("macro '" + name + "' takes not more than " + std::to_string(np) + " argument(s)");
  Value caller = Value::undefined("No caller defined");
  Value kwargs = Value::make_dict();
  for (const auto& [key, val] : a.kw) {
    size_t idx = 0;
    while (idx < np && s.names[idx] != key) ++idx;
    if (idx < np) {
      if (bound[idx]) fail("macro '" + name + "' got multiple values for argument '" + key + "'");
      sc->vars[key] = val;
      bound[idx] = true;
    } else if (key == "caller" && s.uses_caller) {
      caller = val;
    } else if (s.uses_kwargs) {
      kwargs.dict->set(key, val);
    } else {
      fail("macro '" + name + "' takes no keyword argument '" + key + "'");
    }
  }
  for (size_t k = 0; k < np; ++k) {
    if (bound[k]) continue;
    const Expr* def = s.exprs.size() > first_default + k ? s.exprs[first_default + k].get() : nullptr;
    sc->vars[s.names[k]] =
        def ? eval(*def, sc) : Value::undefined("parameter '" + s.names[k] + "' was not provided");
  }
  if (s.uses_varargs) sc->vars["varargs"] = Value::make_list(std::move(varargs), ListKind::Tuple);
  if (s.uses_kwargs) sc->vars["kwargs"] = std::move(kwargs);
  if (s.uses_caller) sc->vars["caller"] = std::move(caller);
  std::string out;
  exec(s.bodies[0], sc, out);
  return Value::string(std::move(out));
}

Value Interp::call(const Value& callee, Args& args) {
  if (callee.kind == Kind::Func) return callee.fn->call(*this, args);
  if (callee.is_undefined()) fail_undefined(callee);
  fail("'" + type_name(callee) + "' object is not callable");
}

Args Interp::eval_args(const Expr& e, size_t first, const ScopePtr& scope) {
  Args args;
  for (size_t k = first; k < e.a.size(); ++k) args.pos.push_back(eval(*e.a[k], scope));
  for (const auto& [key, val] : e.kwargs) {
    Value v = eval(*val, scope);
    if (key == "*") {
      for (Value& x : iterate(v)) args.pos.push_back(std::move(x));
    } else if (key == "**") {
      if (!v.is_mapping()) fail("argument after ** must be a mapping, not " + type_name(v));
      for (const auto& [k, x] : v.dict->items) {
        if (k.kind != Kind::String) fail("keywords must be strings");
        args.kw.emplace_back(k.s, x);
      }
    } else {
      args.kw.emplace_back(key, std::move(v));
    }
  }
  return args;
}

Value Interp::eval(const Expr& e, const ScopePtr& scope) {
  try {
    return eval_op(e, scope);
  } catch (const RuntimeError& err) {
    throw Error(where(e.line, e.col) + err.what());
  }
}

Value Interp::eval_op(const Expr& e, const ScopePtr& scope) {
  auto sub = [&](size_t k) { return e.a[k] ? eval(*e.a[k], scope) : Value::none(); };
  switch (e.kind) {
    case EK::Const:
      return e.value;
    case EK::Name: {
      const Value* v = scope->lookup(e.name);
      return v ? *v : Value::undefined("'" + e.name + "' is undefined");
    }
    case EK::GetAttr:
      return getattr(sub(0), e.name);
    case EK::GetItem: {
      const Value obj = sub(0);
      return getitem(obj, sub(1));
    }
    case EK::Slice: {
      const Value obj = sub(0);
      return slice(obj, sub(1), sub(2), sub(3));
    }
    case EK::List:
    case EK::Tuple: {
      std::vector<Value> items;
      for (size_t k = 0; k < e.a.size(); ++k) items.push_back(sub(k));
      return Value::make_list(std::move(items), e.kind == EK::List ? ListKind::List : ListKind::Tuple);
    }
    case EK::Dict: {
      Value d = Value::make_dict();
      for (size_t k = 0; k + 1 < e.a.size(); k += 2) {
        Value key = sub(k);
        if (key.kind == Kind::Dict || (key.kind == Kind::List && key.list->kind != ListKind::Tuple))
          fail("unhashable type: '" + type_name(key) + "'");
        d.dict->set(key, sub(k + 1));
      }
      return d;
    }
    case EK::Unary:
      return unary_op(e.name, sub(0));
    case EK::Binary: {
      const Value l = sub(0);
      const Value r = sub(1);
      // jinja2 constant-folds a negative literal base and then emits it unparenthesized, so at run
      // time `-3 ** n` (and `(-3) ** n`) is Python's -(3 ** n).
      double base, exponent;
      if (e.name == "**" && e.a[0]->kind == EK::Unary && literal_number(*e.a[0], &base) && base < 0 &&
          e.a[1]->kind != EK::Const && !literal_number(*e.a[1], &exponent))
        return unary_op("-", binary_op("**", unary_op("-", l), r));
      return binary_op(e.name, l, r);
    }
    case EK::Compare: {
      Value left = sub(0);
      for (size_t k = 0; k < e.ops.size(); ++k) {
        Value right = sub(k + 1);
        if (!compare_op(e.ops[k], left, right)) return Value::boolean(false);
        left = std::move(right);
      }
      return Value::boolean(true);
    }
    case EK::And: {
      Value l = sub(0);
      return truthy(l) ? sub(1) : l;
    }
    case EK::Or: {
      Value l = sub(0);
      return truthy(l) ? l : sub(1);
    }
    case EK::Not:
      return Value::boolean(!truthy(sub(0)));
    case EK::Cond:
      if (truthy(sub(0))) return sub(1);
      if (e.a[2]) return sub(2);
      return Value::undefined("the inline if-expression on line " + std::to_string(e.line) +
                              " evaluated to false and no else section was defined.");
    case EK::Filter: {
      const Value v = e.a[0] ? sub(0) : block_values_.back();
      return call_filter(e.name, v, eval_args(e, 1, scope));
    }
    case EK::Test: {
      const Value v = sub(0);
      const bool r = call_test(e.name, v, eval_args(e, 1, scope));
      return Value::boolean(e.negated ? !r : r);
    }
    case EK::Call: {
      const Value callee = sub(0);
      Args args = eval_args(e, 1, scope);
      return call(callee, args);
    }
    case EK::BlockValue:
      return block_values_.back();
  }
  fail("internal error: unknown expression kind");
}

// ---- public API ----

struct Template::Impl {
  Body body;
  std::vector<std::string> undefs;
};

Template::Template(const std::string& source) : impl_(std::make_unique<Impl>()) {
  impl_->body = parse_template(source);
  impl_->undefs = analyze_scopes(impl_->body);
}
Template::~Template() = default;
Template::Template(Template&&) noexcept = default;
Template& Template::operator=(Template&&) noexcept = default;

std::string Template::render(const nlohmann::ordered_json& context) const {
  Interp in(context);
  return in.run(impl_->body, impl_->undefs);
}

}  // namespace r1::jinja
