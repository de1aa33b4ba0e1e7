#include "tasks/expr.h"


namespace r1::tasks {
namespace {

using i128 = __int128;

std::optional<Rational> normalize(i128 num, i128 den) {
  if (den == 0) return std::nullopt;
  if (den < 0) num = -num, den = -den;
  i128 a = num < 0 ? -num : num, b = den;
  while (b != 0) {
    const i128 t = a % b;
    a = b;
    b = t;
  }
  const i128 g = a == 0 ? 1 : a;
  num /= g;
  den /= g;
  if (num > INT64_MAX || num < -INT64_MAX || den > INT64_MAX) return std::nullopt;
  return Rational{int64_t(num), int64_t(den)};
}

bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Recursive-descent parser over the grammar in expr.h; evaluates as it parses.
class Parser {
 public:
  Parser(std::string_view s, const ExprRules& rules) : s_(s), rules_(rules) {}

  ExprValue run() {
    ExprValue out;
    if (s_.size() > rules_.max_chars) {
      out.why = "expression longer than " + std::to_string(rules_.max_chars) + " characters";
      return out;
    }
    skip_ws();
    std::optional<Rational> v = expr(0);
    if (v) {
      skip_ws();
      if (pos_ != s_.size()) v = error(unexpected());
    }
    if (!v) {
      out.why = why_;
      return out;
    }
    out.ok = true;
    out.value = *v;
    out.numbers = std::move(numbers_);
    return out;
  }

 private:
  std::optional<Rational> error(std::string why) {
    if (why_.empty()) why_ = std::move(why);
    return std::nullopt;
  }
  std::string unexpected() const {
    if (pos_ >= s_.size()) return "unexpected end of expression";
    const unsigned char c = (unsigned char)s_[pos_];
    if (c >= 0x20 && c < 0x7f) return std::string("unexpected character '") + char(c) + "' at " + std::to_string(pos_);
    return "unexpected byte " + std::to_string(int(c)) + " at " + std::to_string(pos_);
  }
  void skip_ws() {
    while (pos_ < s_.size() && is_ws(s_[pos_])) ++pos_;
  }
  bool peek_op(std::string_view ops) const { return pos_ < s_.size() && ops.find(s_[pos_]) != std::string_view::npos; }

  std::optional<Rational> combine(char op, Rational a, Rational b) {
    if (rules_.ops.find(op) == std::string::npos) return error(std::string("operator '") + op + "' is not allowed");
    if (op == '/' && b.num == 0) return error("division by zero");
    std::optional<Rational> r = apply_op(op, a, b);
    if (!r) return error("arithmetic overflow");
    if (op == '/' && !rules_.allow_fractions && !r->is_integer())
      return error("non-exact division " + a.str() + "/" + b.str());
    return r;
  }

  std::optional<Rational> expr(int depth) {
    std::optional<Rational> acc = term(depth);
    if (!acc) return acc;
    for (;;) {
      skip_ws();
      if (!peek_op("+-")) return acc;
      const char op = s_[pos_++];
      skip_ws();
      std::optional<Rational> rhs = term(depth);
      if (!rhs) return rhs;
      acc = combine(op, *acc, *rhs);
      if (!acc) return acc;
    }
  }

  std::optional<Rational> term(int depth) {
    std::optional<Rational> acc = factor(depth);
    if (!acc) return acc;
    for (;;) {
      skip_ws();
      if (!peek_op("*/")) return acc;
      const char op = s_[pos_++];
      skip_ws();
      std::optional<Rational> rhs = factor(depth);
      if (!rhs) return rhs;
      acc = combine(op, *acc, *rhs);
      if (!acc) return acc;
    }
  }

  std::optional<Rational> factor(int depth) {
    if (pos_ < s_.size() && s_[pos_] == '(') {
      if (depth >= rules_.max_depth) return error("parentheses nested deeper than " + std::to_string(rules_.max_depth));
      ++pos_;
      skip_ws();
      std::optional<Rational> v = expr(depth + 1);
      if (!v) return v;
      skip_ws();
      if (pos_ >= s_.size() || s_[pos_] != ')') return error("missing ')': " + unexpected());
      ++pos_;
      return v;
    }
    if (pos_ < s_.size() && is_digit(s_[pos_])) {
      const size_t b = pos_;
      while (pos_ < s_.size() && is_digit(s_[pos_])) ++pos_;
      const std::string_view lit = s_.substr(b, pos_ - b);
      const std::optional<int64_t> n = parse_strict_int(lit, rules_.max_digits);
      if (!n) return error("bad number '" + std::string(lit) + "'");
      numbers_.push_back(*n);
      return Rational{*n, 1};
    }
    return error(unexpected());
  }

  std::string_view s_;
  const ExprRules& rules_;
  size_t pos_ = 0;
  std::string why_;
  std::vector<int64_t> numbers_;
};

}  // namespace

std::optional<Rational> Rational::make(int64_t num, int64_t den) { return normalize(num, den); }

std::string Rational::str() const {
  return den == 1 ? std::to_string(num) : std::to_string(num) + "/" + std::to_string(den);
}

std::optional<Rational> add(Rational a, Rational b) {
  return normalize((i128)a.num * b.den + (i128)b.num * a.den, (i128)a.den * b.den);
}
std::optional<Rational> sub(Rational a, Rational b) {
  return normalize((i128)a.num * b.den - (i128)b.num * a.den, (i128)a.den * b.den);
}
std::optional<Rational> mul(Rational a, Rational b) { return normalize((i128)a.num * b.num, (i128)a.den * b.den); }
std::optional<Rational> div(Rational a, Rational b) {
  if (b.num == 0) return std::nullopt;
  return normalize((i128)a.num * b.den, (i128)a.den * b.num);
}
std::optional<Rational> apply_op(char op, Rational a, Rational b) {
  switch (op) {
    case '+': return add(a, b);
    case '-': return sub(a, b);
    case '*': return mul(a, b);
    case '/': return div(a, b);
    default: return std::nullopt;
  }
}

std::optional<int64_t> parse_strict_int(std::string_view s, int max_digits) {
  if (max_digits > 19) max_digits = 19;
  bool neg = false;
  if (!s.empty() && s[0] == '-') {
    neg = true;
    s.remove_prefix(1);
  }
  if (s.empty() || s.size() > size_t(max_digits)) return std::nullopt;
  if (s.size() > 1 && s[0] == '0') return std::nullopt;
  i128 v = 0;  // 19 digits fit in 128 bits
  for (char c : s) {
    if (!is_digit(c)) return std::nullopt;
    v = v * 10 + (c - '0');
  }
  if (neg && v == 0) return std::nullopt;
  if (v > INT64_MAX) return std::nullopt;  // also keeps INT64_MIN out: every value has a negation
  return int64_t(neg ? -v : v);
}

ExprValue evaluate_expression(std::string_view text, const ExprRules& rules) { return Parser(text, rules).run(); }

}  // namespace r1::tasks
