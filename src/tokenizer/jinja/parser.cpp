// Statement level of the chat-template parser: template data, {{ }} output and {% %} tags.
#include "tokenizer/jinja/parser.h"

namespace r1::jinja {

std::string describe(const Token& t) {
  switch (t.type) {
    case Tok::Data:
      return "template data";
    case Tok::VarBegin:
      return "'{{'";
    case Tok::VarEnd:
      return "'}}'";
    case Tok::BlockBegin:
      return "'{%'";
    case Tok::BlockEnd:
      return "'%}'";
    case Tok::Name:
      return "'" + t.text + "'";
    case Tok::String:
      return "string literal";
    case Tok::Int:
    case Tok::Float:
      return "number";
    case Tok::Op:
      return "'" + t.text + "'";
    case Tok::Eof:
      return "end of template";
  }
  return "token";
}

// Parses until a block tag whose name is in `ends`; leaves the stream at that tag's '{%'.
Body Parser::parse_body(const std::set<std::string>& ends, const Token* opener,
                        const std::string& opener_name) {
  Body body;
  while (true) {
    const Token& tok = cur();
    if (tok.type == Tok::Eof) {
      if (ends.empty()) return body;
      std::string list;
      for (const auto& e : ends) list += (list.empty() ? "'" : " or '") + e + "'";
      fail(*opener,
           "unexpected end of template: '" + opener_name + "' block is never closed (expected " + list + ")");
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
std::string Parser::take_end_tag() {
  next();
  std::string n = cur().text;
  next();
  return n;
}

Body Parser::parse_block_body(const std::set<std::string>& ends, const Token& opener,
                              const std::string& name) {
  skip_op(":");
  expect(Tok::BlockEnd, "'%}'");
  return parse_body(ends, &opener, name);
}

// Body ending in a single end tag (consumed, including its '%}').
Body Parser::parse_simple_body(const std::string& end, const Token& opener, const std::string& name) {
  Body b = parse_block_body({end}, opener, name);
  take_end_tag();
  expect(Tok::BlockEnd, "'%}'");
  return b;
}

std::unique_ptr<Stmt> Parser::parse_statement(const Token& open) {
  const Nest guard(*this, open);
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

void Parser::parse_target(Stmt* s, const char* end_name) {
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

std::unique_ptr<Stmt> Parser::parse_for(std::unique_ptr<Stmt> s, const Token& tag) {
  s->kind = SK::For;
  const Token target = cur();
  parse_target(s.get(), "in");
  for (const auto& n : s->names)
    if (n == "loop") fail(target, "can't assign to special loop variable in for-loop target");
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

std::unique_ptr<Stmt> Parser::parse_if(std::unique_ptr<Stmt> s, const Token& tag) {
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

std::unique_ptr<Stmt> Parser::parse_set(std::unique_ptr<Stmt> s, const Token& tag) {
  if (cur().type == Tok::Name && peek().type == Tok::Op && peek().text == ".") {
    s->names.push_back(expect_name());
    next();
    s->attr = expect_name();
  } else {
    parse_target(s.get(), nullptr);
  }
  if (loop_depth_ > 0)
    for (const auto& n : s->names)
      if (n == "loop" && s->attr.empty())
        fail(tag, "can't assign to special loop variable in for-loop target");
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

void Parser::parse_signature(Stmt* s) {
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
Body Parser::parse_function_body(Stmt* s, const std::string& end, const Token& tag, const std::string& name) {
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

std::unique_ptr<Stmt> Parser::parse_macro(std::unique_ptr<Stmt> s, const Token& tag) {
  s->kind = SK::Macro;
  s->text = expect_name();
  parse_signature(s.get());
  s->bodies.push_back(parse_function_body(s.get(), "endmacro", tag, "macro"));
  return s;
}

std::unique_ptr<Stmt> Parser::parse_call_block(std::unique_ptr<Stmt> s, const Token& tag) {
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

namespace {

// Expression trees deeper than this (long operator chains count too) are refused: evaluation recurses
// over the tree, and jinja2 itself fails far earlier on Python's recursion limit.
constexpr size_t kMaxExprDepth = 500;

void check_expr_depth(const Expr& root) {
  std::vector<std::pair<const Expr*, size_t>> stack = {{&root, 1}};
  while (!stack.empty()) {
    const auto [e, d] = stack.back();
    stack.pop_back();
    if (d > kMaxExprDepth) throw Error(where(e->line, e->col) + "expression nesting is too deep");
    for (const auto& c : e->a)
      if (c) stack.emplace_back(c.get(), d + 1);
    for (const auto& kv : e->kwargs) stack.emplace_back(kv.second.get(), d + 1);
  }
}

void check_depth(const Body& body) {
  for (const auto& s : body) {
    for (const auto& e : s->exprs)
      if (e) check_expr_depth(*e);
    for (const auto& b : s->bodies) check_depth(b);
  }
}

}  // namespace

Body parse_template(const std::string& source) {
  Body body = Parser(lex(source)).parse_all();
  check_depth(body);
  return body;
}

}  // namespace r1::jinja
