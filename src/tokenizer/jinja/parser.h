// Internal: recursive-descent parser with jinja2's grammar; statements in parser.cpp, expressions in
// parser_expr.cpp.
#pragma once

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "core/error.h"
#include "tokenizer/jinja/ast.h"
#include "tokenizer/jinja/lexer.h"

namespace r1::jinja {

std::string describe(const Token& t);

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

  [[noreturn]] void fail(const Token& t, const std::string& msg) const {
    throw Error(where(t.line, t.col) + msg);
  }

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

  // Parses until a block tag whose name is in `ends`; leaves the stream at that tag's '{%'.
  Body parse_body(const std::set<std::string>& ends, const Token* opener, const std::string& opener_name);
  // Consumes '{%' name of an end tag found by parse_body and returns the name.
  std::string take_end_tag();
  Body parse_block_body(const std::set<std::string>& ends, const Token& opener, const std::string& name);
  // Body ending in a single end tag (consumed, including its '%}').
  Body parse_simple_body(const std::string& end, const Token& opener, const std::string& name);
  std::unique_ptr<Stmt> parse_statement(const Token& open);
  void parse_target(Stmt* s, const char* end_name);
  std::unique_ptr<Stmt> parse_for(std::unique_ptr<Stmt> s, const Token& tag);
  std::unique_ptr<Stmt> parse_if(std::unique_ptr<Stmt> s, const Token& tag);
  std::unique_ptr<Stmt> parse_set(std::unique_ptr<Stmt> s, const Token& tag);
  void parse_signature(Stmt* s);
  // Body of a macro or caller: own loop context, and records which special names it references.
  Body parse_function_body(Stmt* s, const std::string& end, const Token& tag, const std::string& name);
  std::unique_ptr<Stmt> parse_macro(std::unique_ptr<Stmt> s, const Token& tag);
  std::unique_ptr<Stmt> parse_call_block(std::unique_ptr<Stmt> s, const Token& tag);
  bool is_tuple_end(const std::vector<std::string>& extra) const;
  ExprPtr parse_tuple(bool with_condexpr, const std::vector<std::string>& extra, bool explicit_parens);
  ExprPtr parse_expression(bool with_condexpr);
  ExprPtr binary(EK k, const Token& t, ExprPtr l, ExprPtr r, const std::string& op = "");
  ExprPtr parse_or();
  ExprPtr parse_and();
  ExprPtr parse_not();
  ExprPtr parse_compare();
  ExprPtr parse_math1();
  ExprPtr parse_concat();
  ExprPtr parse_math2();
  ExprPtr parse_pow();
  ExprPtr parse_unary(bool with_filter);
  ExprPtr parse_primary();
  ExprPtr parse_postfix(ExprPtr node);
  ExprPtr parse_filter_expr(ExprPtr node);
  ExprPtr parse_subscript(ExprPtr node);
  void parse_call_args(Expr* e);
  ExprPtr parse_call(ExprPtr node);
  std::string dotted_name();
  ExprPtr parse_filter(ExprPtr node, bool start_inline);
  ExprPtr parse_test(ExprPtr node);

  std::vector<Token> t_;
  size_t i_ = 0;
  int loop_depth_ = 0;
  int nesting_ = 0;  // recursion guard: deeply nested input fails instead of overflowing the stack

  struct Nest {
    Parser& p;
    Nest(Parser& parser, const Token& at) : p(parser) {
      if (++p.nesting_ > kMaxNesting) p.fail(at, "template nesting is too deep");
    }
    ~Nest() { --p.nesting_; }
  };
  static constexpr int kMaxNesting = 512;
  std::vector<std::set<std::string>> refs_;
};

}  // namespace r1::jinja
