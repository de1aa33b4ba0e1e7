// Expression grammar of the chat-template parser, with jinja2's precedence (lowest first):
// `x if c else y`, or, and, not, comparisons/in, + -, ~, * / // %, **, unary - +, then postfix
// (.attr [idx] (call)) and filters/tests.
#include "tokenizer/jinja/parser.h"

namespace r1::jinja {

bool Parser::is_tuple_end(const std::vector<std::string>& extra) const {
  if (cur().type == Tok::VarEnd || cur().type == Tok::BlockEnd || is_op(")")) return true;
  for (const auto& e : extra)
    if (is_name(e.c_str())) return true;
  return false;
}

ExprPtr Parser::parse_tuple(bool with_condexpr, const std::vector<std::string>& extra, bool explicit_parens) {
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

ExprPtr Parser::parse_expression(bool with_condexpr) {
  const Nest guard(*this, cur());
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

ExprPtr Parser::binary(EK k, const Token& t, ExprPtr l, ExprPtr r, const std::string& op) {
  auto e = mk(k, t);
  e->name = op;
  e->a.push_back(std::move(l));
  e->a.push_back(std::move(r));
  return e;
}

ExprPtr Parser::parse_or() {
  ExprPtr l = parse_and();
  while (is_name("or")) {
    const Token t = cur();
    next();
    l = binary(EK::Or, t, std::move(l), parse_and());
  }
  return l;
}

ExprPtr Parser::parse_and() {
  ExprPtr l = parse_not();
  while (is_name("and")) {
    const Token t = cur();
    next();
    l = binary(EK::And, t, std::move(l), parse_not());
  }
  return l;
}

ExprPtr Parser::parse_not() {
  const Nest guard(*this, cur());
  if (is_name("not")) {
    auto e = mk(EK::Not, cur());
    next();
    e->a.push_back(parse_not());
    return e;
  }
  return parse_compare();
}

ExprPtr Parser::parse_compare() {
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

ExprPtr Parser::parse_math1() {
  ExprPtr l = parse_concat();
  while (is_op("+") || is_op("-")) {
    const Token t = cur();
    next();
    l = binary(EK::Binary, t, std::move(l), parse_concat(), t.text);
  }
  return l;
}

ExprPtr Parser::parse_concat() {
  ExprPtr l = parse_math2();
  while (is_op("~")) {
    const Token t = cur();
    next();
    l = binary(EK::Binary, t, std::move(l), parse_math2(), "~");
  }
  return l;
}

ExprPtr Parser::parse_math2() {
  ExprPtr l = parse_pow();
  while (is_op("*") || is_op("/") || is_op("//") || is_op("%")) {
    const Token t = cur();
    next();
    l = binary(EK::Binary, t, std::move(l), parse_pow(), t.text);
  }
  return l;
}

ExprPtr Parser::parse_pow() {
  ExprPtr l = parse_unary(true);
  while (is_op("**")) {
    const Token t = cur();
    next();
    l = binary(EK::Binary, t, std::move(l), parse_unary(true), "**");
  }
  return l;
}

ExprPtr Parser::parse_unary(bool with_filter) {
  const Nest guard(*this, cur());
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

ExprPtr Parser::parse_primary() {
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
    default:
      break;
  }
  fail(t, "unexpected " + describe(t));
}

ExprPtr Parser::parse_postfix(ExprPtr node) {
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

ExprPtr Parser::parse_filter_expr(ExprPtr node) {
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

ExprPtr Parser::parse_subscript(ExprPtr node) {
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

void Parser::parse_call_args(Expr* e) {
  expect_op("(");
  bool any = false;
  while (!is_op(")")) {
    if (any) {
      expect_op(",");
      if (is_op(")")) break;
    }
    any = true;
    if (is_op("*") || is_op("**")) {  // kept as pseudo keyword arguments named "*" / "**"
      std::string star = cur().text;
      next();
      e->kwargs.emplace_back(std::move(star), parse_expression(true));
      continue;
    }
    if (cur().type == Tok::Name && peek().type == Tok::Op && peek().text == "=") {
      std::string key = expect_name();
      next();
      e->kwargs.emplace_back(std::move(key), parse_expression(true));
    } else {
      for (const auto& kv : e->kwargs)
        if (kv.first != "*") fail(cur(), "positional argument follows keyword argument");
      e->a.push_back(parse_expression(true));
    }
  }
  expect_op(")");
}

ExprPtr Parser::parse_call(ExprPtr node) {
  auto e = mk(EK::Call, cur());
  e->a.push_back(std::move(node));
  parse_call_args(e.get());
  return e;
}

std::string Parser::dotted_name() {
  std::string name = expect_name();
  while (is_op(".")) {
    next();
    name += "." + expect_name();
  }
  return name;
}

ExprPtr Parser::parse_filter(ExprPtr node, bool start_inline) {
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

ExprPtr Parser::parse_test(ExprPtr node) {
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

}  // namespace r1::jinja
