// Recursive-descent parser with jinja2's grammar and operator precedence (lowest first):
// `x if c else y`, or, and, not, comparisons/in, + -, ~, * / // %, **, unary - +,
// then postfix (.attr [idx] (call)) and filters/tests.
#include <set>

#include "core/error.h"
#include "tokenizer/jinja/ast.h"
#include "tokenizer/jinja/lexer.h"

namespace r1::jinja {
namespace {

std::string describe(const Token& t) {
  switch (t.type) {
    case Tok::Data: return "template data";
    case Tok::VarBegin: return "'{{'";
    case Tok::VarEnd: return "'}}'";
    case Tok::BlockBegin: return "'{%'";
    case Tok::BlockEnd: return "'%}'";
    case Tok::Name: return "'" + t.text + "'";
    case Tok::String: return "string literal";
    case Tok::Int:
    case Tok::Float: return "number";
    case Tok::Op: return "'" + t.text + "'";
    case Tok::Eof: return "end of template";
  }
  return "token";
}

class Parser {
 public:
  explicit Parser(std::vector<Token> toks) : t_(std::move(toks)) {}

  Body parse_all() {
    Body b = parse_body({}, nullptr, "");
    return b;
  }

 private:
  const Token& cur() const { return t_[i_]; }
  const Token& peek(size_t k = 1) const { return t_[std::min(i_ + k, t_.size() - 1)]; }
  void next() {
    if (i_ + 1 < t_.size()) ++i_;
  }
  bool is_op(const char* op) const { return cur().type == Tok::Op && cur().text == op; }
  bool is_name(const char* n) const { return cur().type == Tok::Name && cur().text == n; }
  bool skip_op(const char* op) {
    if (!is_op(op)) return false;
    next();
    return true;
  }
  bool skip_name(const char* n) {
    if (!is_name(n)) return false;
    next();
    return true;
  }

  [[noreturn]] void fail(const Token& t, const std::string& msg) const { throw Error(where(t.line, t.col) + msg); }

  void expect_op(const char* op) {
    if (!skip_op(op)) fail(cur(), std::string("expected '") + op + "', got " + describe(cur()));
  }
  void expect(Tok type, const char* what) {
    if (cur().type != type) fail(cur(), std::string("expected ") + what + ", got " + describe(cur()));
    next();
  }
  std::string expect_name() {
    if (cur().type != Tok::Name) fail(cur(), "expected a name, got " + describe(cur()));
    std::string n = cur().text;
    next();
    return n;
  }

  template <class T>
  static std::unique_ptr<T> at(const Token& t) {
    auto n = std::make_unique<T>();
    n->line = t.line;
    n->col = t.col;
    return n;
  }
  static ExprPtr mk(EK k, const Token& t) {
    auto e = at<Expr>(t);
    e->kind = k;
    return e;
  }

  // ---- statements ----

  // Parses until a block tag whose name is in `ends`; leaves the stream at that tag's '{%'.
  Body parse_body(const std::set<std::string>& ends, const Token* opener, const std::string& opener_name) {
    Body body;
    while (true) {
      const Token& tok = cur();
      if (tok.type == Tok::Eof) {
        if (ends.empty()) return body;
        std::string list;
        for (const auto& e : ends) list += (list.empty() ? "'" : " or '") + e + "'";
        fail(*opener, "unexpected end of template: '" + opener_name + "' block is never closed (expected " + list + ")");
      }
      if (tok.type == Tok::Data) {
        auto s = at<Stmt>(tok);
        s->kind = SK::Text;
        s->text = tok.text;
        body.push_back(std::move(s));
        next();
      } else if (tok.type == Tok::VarBegin) {
        auto s = at<Stmt>(tok);
        s->kind = SK::Output;
        next();
        s->exprs.push_back(parse_tuple(true, {}, false));
        expect(Tok::VarEnd, "'}}'");
        body.push_back(std::move(s));
      } else if (tok.type == Tok::BlockBegin) {
        if (peek().type == Tok::Name && ends.count(peek().text)) return body;
        next();
        body.push_back(parse_statement(tok));
      } else {
        fail(tok, "unexpected " + describe(tok));
      }
    }
  }

  // Consumes '{%' name of an end tag found by parse_body and returns the name.
  std::string take_end_tag() {
    next();
    std::string n = cur().text;
    next();
    return n;
  }

  Body parse_block_body(const std::set<std::string>& ends, const Token& opener, const std::string& name) {
    skip_op(":");
    expect(Tok::BlockEnd, "'%}'");
    return parse_body(ends, &opener, name);
  }

  // Body ending in a single end tag (consumed, including its '%}').
  Body parse_simple_body(const std::string& end, const Token& opener, const std::string& name) {
    Body b = parse_block_body({end}, opener, name);
    take_end_tag();
    expect(Tok::BlockEnd, "'%}'");
    return b;
  }

  std::unique_ptr<Stmt> parse_statement(const Token& open) {
    const Token tag = cur();
    if (tag.type != Tok::Name) fail(tag, "tag name expected, got " + describe(tag));
    const std::string& n = tag.text;
    auto s = at<Stmt>(open);
    next();
    if (n == "for") return parse_for(std::move(s), tag);
    if (n == "if") return parse_if(std::move(s), tag);
    if (n == "set") return parse_set(std::move(s), tag);
    if (n == "macro") return parse_macro(std::move(s), tag);
    if (n == "call") return parse_call_block(std::move(s), tag);
    if (n == "filter") {
      s->kind = SK::FilterBlock;
      s->exprs.push_back(parse_filter(mk(EK::BlockValue, tag), true));
      s->bodies.push_back(parse_simple_body("endfilter", tag, "filter"));
      return s;
    }
    if (n == "with") {
      s->kind = SK::With;
      while (cur().type != Tok::BlockEnd) {
        if (!s->names.empty()) expect_op(",");
        s->names.push_back(expect_name());
        expect_op("=");
        s->exprs.push_back(parse_expression(true));
      }
      s->bodies.push_back(parse_simple_body("endwith", tag, "with"));
      return s;
    }
    if (n == "generation") {  // transformers' AssistantTracker: renders its body in place
      s->kind = SK::With;
      s->bodies.push_back(parse_simple_body("endgeneration", tag, "generation"));
      return s;
    }
    if (n == "print") {
      s->kind = SK::Output;
      s->exprs.push_back(parse_tuple(true, {}, false));
      expect(Tok::BlockEnd, "'%}'");
      return s;
    }
    if (n == "break" || n == "continue") {
      if (loop_depth_ == 0) fail(tag, "'" + n + "' outside loop");
      s->kind = n == "break" ? SK::Break : SK::Continue;
      expect(Tok::BlockEnd, "'%}'");
      return s;
    }
    if (n == "block" || n == "extends" || n == "include" || n == "import" || n == "from" || n == "autoescape")
      fail(tag, "unsupported tag '" + n + "'");
    if (n == "do") fail(tag, "unknown tag 'do' (the jinja2 'do' extension is not enabled for chat templates)");
    if (n == "raw" || n == "endraw") fail(tag, "malformed '" + n + "' tag");
    if (n.rfind("end", 0) == 0 || n == "elif" || n == "else")
      fail(tag, "unexpected tag '" + n + "' (no open block it could close)");
    fail(tag, "unknown tag '" + n + "'");
  }

  void parse_target(Stmt* s, const char* end_name) {
    const bool paren = skip_op("(");
    while (true) {
      s->names.push_back(expect_name());
      if (!is_op(",")) break;
      next();
      s->tuple_target = true;
      if ((paren && is_op(")")) || (end_name && is_name(end_name)) || is_op("=")) break;
    }
    if (paren) {
      expect_op(")");
      s->tuple_target = true;
    }
  }

  std::unique_ptr<Stmt> parse_for(std::unique_ptr<Stmt> s, const Token& tag) {
    s->kind = SK::For;
    parse_target(s.get(), "in");
    if (!skip_name("in")) fail(cur(), "expected 'in', got " + describe(cur()));
    s->exprs.push_back(parse_tuple(false, {"recursive"}, false));
    s->exprs.push_back(skip_name("if") ? parse_expression(true) : nullptr);
    if (is_name("recursive")) fail(cur(), "unsupported: recursive for loops");
    ++loop_depth_;
    s->bodies.push_back(parse_block_body({"endfor", "else"}, tag, "for"));
    --loop_depth_;
    if (take_end_tag() == "else") {
      s->bodies.push_back(parse_block_body({"endfor"}, tag, "for"));
      take_end_tag();
    } else {
      s->bodies.emplace_back();
    }
    expect(Tok::BlockEnd, "'%}'");
    return s;
  }

  std::unique_ptr<Stmt> parse_if(std::unique_ptr<Stmt> s, const Token& tag) {
    s->kind = SK::If;
    while (true) {
      s->exprs.push_back(parse_tuple(false, {}, false));
      s->bodies.push_back(parse_block_body({"elif", "else", "endif"}, tag, "if"));
      const std::string end = take_end_tag();
      if (end == "elif") continue;
      if (end == "else") {
        s->bodies.push_back(parse_block_body({"endif"}, tag, "if"));
        take_end_tag();
      }
      break;
    }
    expect(Tok::BlockEnd, "'%}'");
    return s;
  }

  std::unique_ptr<Stmt> parse_set(std::unique_ptr<Stmt> s, const Token& tag) {
    if (cur().type == Tok::Name && peek().type == Tok::Op && peek().text == ".") {
      s->names.push_back(expect_name());
      next();
      s->attr = expect_name();
    } else {
      parse_target(s.get(), nullptr);
    }
    if (skip_op("=")) {
      s->kind = SK::Set;
      s->exprs.push_back(parse_tuple(true, {}, false));
      expect(Tok::BlockEnd, "'%}'");
      return s;
    }
    s->kind = SK::SetBlock;
    if (s->tuple_target) fail(tag, "block 'set' needs a single target");
    s->exprs.push_back(is_op("|") ? parse_filter(mk(EK::BlockValue, tag), false) : nullptr);
    s->bodies.push_back(parse_simple_body("endset", tag, "set"));
    return s;
  }

  void parse_signature(Stmt* s) {
    expect_op("(");
    while (!is_op(")")) {
      if (!s->names.empty()) expect_op(",");
      s->names.push_back(expect_name());
      if (skip_op("=")) {
        s->exprs.push_back(parse_expression(true));
      } else {
        if (!s->exprs.empty() && s->exprs.back()) fail(cur(), "non-default argument follows default argument");
        s->exprs.push_back(nullptr);
      }
    }
    expect_op(")");
  }

  // Body of a macro or caller: own loop context, and records which special names it references.
  Body parse_function_body(Stmt* s, const std::string& end, const Token& tag, const std::string& name) {
    const int saved_depth = loop_depth_;
    loop_depth_ = 0;
    refs_.emplace_back();
    Body b = parse_simple_body(end, tag, name);
    s->uses_caller = refs_.back().count("caller") > 0;
    s->uses_varargs = refs_.back().count("varargs") > 0;
    s->uses_kwargs = refs_.back().count("kwargs") > 0;
    std::set<std::string> inner = std::move(refs_.back());
    refs_.pop_back();
    if (!refs_.empty()) refs_.back().insert(inner.begin(), inner.end());
    loop_depth_ = saved_depth;
    return b;
  }

  std::unique_ptr<Stmt> parse_macro(std::unique_ptr<Stmt> s, const Token& tag) {
    s->kind = SK::Macro;
    s->text = expect_name();
    parse_signature(s.get());
    s->bodies.push_back(parse_function_body(s.get(), "endmacro", tag, "macro"));
    return s;
  }

  std::unique_ptr<Stmt> parse_call_block(std::unique_ptr<Stmt> s, const Token& tag) {
    s->kind = SK::CallBlock;
    Stmt sig;
    if (is_op("(")) parse_signature(&sig);
    ExprPtr call = parse_expression(true);
    if (call->kind != EK::Call) fail(tag, "expected a call after 'call'");
    s->exprs.push_back(std::move(call));
    s->names = std::move(sig.names);
    for (auto& d : sig.exprs) s->exprs.push_back(std::move(d));
    s->bodies.push_back(parse_function_body(s.get(), "endcall", tag, "call"));
    return s;
  }

  // ---- expressions ----

  bool is_tuple_end(const std::vector<std::string>& extra) const {
    if (cur().type == Tok::VarEnd || cur().type == Tok::BlockEnd || is_op(")")) return true;
    for (const auto& e : extra)
      if (is_name(e.c_str())) return true;
    return false;
  }

  ExprPtr parse_tuple(bool with_condexpr, const std::vector<std::string>& extra, bool explicit_parens) {
    const Token start = cur();
    std::vector<ExprPtr> args;
    bool is_tuple = false;
    while (true) {
      if (!args.empty()) expect_op(",");
      if (is_tuple_end(extra)) break;
      args.push_back(parse_expression(with_condexpr));
      if (is_op(","))
        is_tuple = true;
      else
        break;
    }
    if (!is_tuple) {
      if (!args.empty()) return std::move(args[0]);
      if (!explicit_parens) fail(start, "expected an expression, got " + describe(start));
    }
    auto e = mk(EK::Tuple, start);
    e->a = std::move(args);
    return e;
  }

  ExprPtr parse_expression(bool with_condexpr) {
    if (!with_condexpr) return parse_or();
    ExprPtr e = parse_or();
    while (is_name("if")) {
      const Token t = cur();
      next();
      auto c = mk(EK::Cond, t);
      c->a.push_back(parse_or());
      c->a.push_back(std::move(e));
      c->a.push_back(skip_name("else") ? parse_expression(true) : nullptr);
      e = std::move(c);
    }
    return e;
  }

  ExprPtr binary(EK k, const Token& t, ExprPtr l, ExprPtr r, const std::string& op = "") {
    auto e = mk(k, t);
    e->name = op;
    e->a.push_back(std::move(l));
    e->a.push_back(std::move(r));
    return e;
  }

  ExprPtr parse_or() {
    ExprPtr l = parse_and();
    while (is_name("or")) {
      const Token t = cur();
      next();
      l = binary(EK::Or, t, std::move(l), parse_and());
    }
    return l;
  }

  ExprPtr parse_and() {
    ExprPtr l = parse_not();
    while (is_name("and")) {
      const Token t = cur();
      next();
      l = binary(EK::And, t, std::move(l), parse_not());
    }
    return l;
  }

  ExprPtr parse_not() {
    if (is_name("not")) {
      auto e = mk(EK::Not, cur());
      next();
      e->a.push_back(parse_not());
      return e;
    }
    return parse_compare();
  }

  ExprPtr parse_compare() {
    const Token start = cur();
    ExprPtr first = parse_math1();
    ExprPtr cmp;
    while (true) {
      std::string op;
      if (cur().type == Tok::Op &&
          (is_op("==") || is_op("!=") || is_op("<") || is_op(">") || is_op("<=") || is_op(">="))) {
        op = cur().text;
        next();
      } else if (is_name("in")) {
        op = "in";
        next();
      } else if (is_name("not") && peek().type == Tok::Name && peek().text == "in") {
        op = "notin";
        next();
        next();
      } else {
        break;
      }
      if (!cmp) {
        cmp = mk(EK::Compare, start);
        cmp->a.push_back(std::move(first));
      }
      cmp->ops.push_back(op);
      cmp->a.push_back(parse_math1());
    }
    return cmp ? std::move(cmp) : std::move(first);
  }

  ExprPtr parse_math1() {
    ExprPtr l = parse_concat();
    while (is_op("+") || is_op("-")) {
      const Token t = cur();
      next();
      l = binary(EK::Binary, t, std::move(l), parse_concat(), t.text);
    }
    return l;
  }

  ExprPtr parse_concat() {
    ExprPtr l = parse_math2();
    while (is_op("~")) {
      const Token t = cur();
      next();
      l = binary(EK::Binary, t, std::move(l), parse_math2(), "~");
    }
    return l;
  }

  ExprPtr parse_math2() {
    ExprPtr l = parse_pow();
    while (is_op("*") || is_op("/") || is_op("//") || is_op("%")) {
      const Token t = cur();
      next();
      l = binary(EK::Binary, t, std::move(l), parse_pow(), t.text);
    }
    return l;
  }

  ExprPtr parse_pow() {
    ExprPtr l = parse_unary(true);
    while (is_op("**")) {
      const Token t = cur();
      next();
      l = binary(EK::Binary, t, std::move(l), parse_unary(true), "**");
    }
    return l;
  }

  ExprPtr parse_unary(bool with_filter) {
    ExprPtr node;
    if (is_op("-") || is_op("+")) {
      node = mk(EK::Unary, cur());
      node->name = cur().text;
      next();
      node->a.push_back(parse_unary(false));
    } else {
      node = parse_primary();
    }
    node = parse_postfix(std::move(node));
    if (with_filter) node = parse_filter_expr(std::move(node));
    return node;
  }

  ExprPtr parse_primary() {
    const Token t = cur();
    switch (t.type) {
      case Tok::Name: {
        next();
        auto e = mk(EK::Const, t);
        if (t.text == "true" || t.text == "True") {
          e->value = Value::boolean(true);
        } else if (t.text == "false" || t.text == "False") {
          e->value = Value::boolean(false);
        } else if (t.text == "none" || t.text == "None") {
          e->value = Value::none();
        } else {
          e->kind = EK::Name;
          e->name = t.text;
          if (!refs_.empty()) refs_.back().insert(t.text);
        }
        return e;
      }
      case Tok::String: {
        std::string s;
        while (cur().type == Tok::String) {
          s += cur().text;
          next();
        }
        auto e = mk(EK::Const, t);
        e->value = Value::string(std::move(s));
        return e;
      }
      case Tok::Int:
      case Tok::Float: {
        next();
        auto e = mk(EK::Const, t);
        e->value = t.type == Tok::Int ? Value::integer(t.ival) : Value::number(t.fval);
        return e;
      }
      case Tok::Op:
        if (t.text == "(") {
          next();
          ExprPtr e = parse_tuple(true, {}, true);
          expect_op(")");
          return e;
        }
        if (t.text == "[" || t.text == "{") {
          const bool is_list = t.text == "[";
          next();
          auto e = mk(is_list ? EK::List : EK::Dict, t);
          const char* close = is_list ? "]" : "}";
          while (!is_op(close)) {
            if (!e->a.empty()) expect_op(",");
            if (is_op(close)) break;
            e->a.push_back(parse_expression(true));
            if (!is_list) {
              expect_op(":");
              e->a.push_back(parse_expression(true));
            }
          }
          expect_op(close);
          return e;
        }
        break;
      default: break;
    }
    fail(t, "unexpected " + describe(t));
  }

  ExprPtr parse_postfix(ExprPtr node) {
    while (true) {
      if (is_op(".") || is_op("[")) {
        node = parse_subscript(std::move(node));
      } else if (is_op("(")) {
        node = parse_call(std::move(node));
      } else {
        return node;
      }
    }
  }

  ExprPtr parse_filter_expr(ExprPtr node) {
    while (true) {
      if (is_op("|")) {
        node = parse_filter(std::move(node), false);
      } else if (is_name("is")) {
        node = parse_test(std::move(node));
      } else if (is_op("(")) {
        node = parse_call(std::move(node));
      } else {
        return node;
      }
    }
  }

  ExprPtr parse_subscript(ExprPtr node) {
    const Token t = cur();
    next();
    if (t.text == ".") {
      const Token a = cur();
      next();
      if (a.type == Tok::Name) {
        auto e = mk(EK::GetAttr, a);
        e->name = a.text;
        e->a.push_back(std::move(node));
        return e;
      }
      if (a.type == Tok::Int) {
        auto e = mk(EK::GetItem, a);
        auto k = mk(EK::Const, a);
        k->value = Value::integer(a.ival);
        e->a.push_back(std::move(node));
        e->a.push_back(std::move(k));
        return e;
      }
      fail(a, "expected an attribute name after '.', got " + describe(a));
    }
    // '[' subscript: a key or a slice
    ExprPtr parts[3];
    bool is_slice = false;
    if (!is_op(":")) parts[0] = parse_expression(true);
    if (skip_op(":")) {
      is_slice = true;
      if (!is_op("]") && !is_op(":")) parts[1] = parse_expression(true);
      if (skip_op(":") && !is_op("]")) parts[2] = parse_expression(true);
    }
    if (is_op(",")) fail(cur(), "unsupported: tuple subscripts");
    expect_op("]");
    if (!is_slice) {
      if (!parts[0]) fail(t, "empty subscript");
      auto e = mk(EK::GetItem, t);
      e->a.push_back(std::move(node));
      e->a.push_back(std::move(parts[0]));
      return e;
    }
    auto e = mk(EK::Slice, t);
    e->a.push_back(std::move(node));
    for (auto& p : parts) e->a.push_back(std::move(p));
    return e;
  }

  void parse_call_args(Expr* e) {
    expect_op("(");
    bool any = false;
    while (!is_op(")")) {
      if (any) {
        expect_op(",");
        if (is_op(")")) break;
      }
      any = true;
      if (is_op("*") || is_op("**")) fail(cur(), "unsupported: *args / **kwargs in calls");
      if (cur().type == Tok::Name && peek().type == Tok::Op && peek().text == "=") {
        std::string key = expect_name();
        next();
        e->kwargs.emplace_back(std::move(key), parse_expression(true));
      } else {
        if (!e->kwargs.empty()) fail(cur(), "positional argument follows keyword argument");
        e->a.push_back(parse_expression(true));
      }
    }
    expect_op(")");
  }

  ExprPtr parse_call(ExprPtr node) {
    auto e = mk(EK::Call, cur());
    e->a.push_back(std::move(node));
    parse_call_args(e.get());
    return e;
  }

  std::string dotted_name() {
    std::string name = expect_name();
    while (is_op(".")) {
      next();
      name += "." + expect_name();
    }
    return name;
  }

  ExprPtr parse_filter(ExprPtr node, bool start_inline) {
    while (is_op("|") || start_inline) {
      if (!start_inline) next();
      start_inline = false;
      const Token t = cur();
      auto e = mk(EK::Filter, t);
      e->name = dotted_name();
      if (!is_known_filter(e->name)) fail(t, "no filter named '" + e->name + "'");
      e->a.push_back(std::move(node));
      if (is_op("(")) parse_call_args(e.get());
      node = std::move(e);
    }
    return node;
  }

  ExprPtr parse_test(ExprPtr node) {
    next();  // 'is'
    const bool negated = skip_name("not");
    const Token t = cur();
    auto e = mk(EK::Test, t);
    e->name = dotted_name();
    e->negated = negated;
    if (!is_known_test(e->name)) fail(t, "no test named '" + e->name + "'");
    e->a.push_back(std::move(node));
    const Tok ty = cur().type;
    if (is_op("(")) {
      parse_call_args(e.get());
    } else if ((ty == Tok::Name || ty == Tok::String || ty == Tok::Int || ty == Tok::Float || is_op("[") ||
                is_op("{")) &&
               !is_name("else") && !is_name("or") && !is_name("and")) {
      if (is_name("is")) fail(cur(), "you cannot chain multiple tests with 'is'");
      e->a.push_back(parse_postfix(parse_primary()));
    }
    return e;
  }

  std::vector<Token> t_;
  size_t i_ = 0;
  int loop_depth_ = 0;
  std::vector<std::set<std::string>> refs_;
};

}  // namespace

Body parse_template(const std::string& source) { return Parser(lex(source)).parse_all(); }

}  // namespace r1::jinja
