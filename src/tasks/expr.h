// Exact arithmetic for verifiers: a rational number over int64 with overflow detection, a strict integer
// literal parser, and a recursive-descent parser/evaluator for the countdown expression language. Nothing here
// evaluates arbitrary text: anything outside the grammar is rejected with a reason.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace r1::tasks {

// num/den in lowest terms, den > 0. Operations return nullopt on overflow or division by zero.
struct Rational {
  int64_t num = 0, den = 1;

  static std::optional<Rational> make(int64_t num, int64_t den);
  bool is_integer() const { return den == 1; }
  std::string str() const;  // "7", "-3", "7/2"
  friend bool operator==(const Rational&, const Rational&) = default;
  friend bool operator<(const Rational& a, const Rational& b) {  // exact: cross products in 128 bits
    return (__int128)a.num * b.den < (__int128)b.num * a.den;
  }
};
std::optional<Rational> add(Rational a, Rational b);
std::optional<Rational> sub(Rational a, Rational b);
std::optional<Rational> mul(Rational a, Rational b);
std::optional<Rational> div(Rational a, Rational b);  // nullopt when b == 0
// Applies op in "+-*/"; nullopt on overflow, division by zero or an unknown op.
std::optional<Rational> apply_op(char op, Rational a, Rational b);

// Strict integer literal: optional '-', then digits with no leading zero (except "0"), at most max_digits
// (<= 19) digits, magnitude <= INT64_MAX; "-0", "+5", " 5", "5.0", "1,000", "1e3" are rejected. nullopt when
// rejected.
std::optional<int64_t> parse_strict_int(std::string_view s, int max_digits = 19);

// The countdown expression language:
//   expr   := term (WS* ('+' | '-') WS* term)*
//   term   := factor (WS* ('*' | '/') WS* factor)*
//   factor := NUMBER | '(' WS* expr WS* ')'
//   NUMBER := a strict non-negative integer literal (no sign, no leading zero, at most max_digits digits)
// WS is ' ', '\t', '\n', '\r'. No unary minus, no other characters. Evaluated exactly, left to right within a
// precedence level. Negative intermediate values are allowed (they are well defined); fractional ones only
// with allow_fractions (otherwise every division must divide exactly).
struct ExprRules {
  std::string ops = "+-*/";      // the operators allowed
  bool allow_fractions = false;  // false: a division whose result is not an integer rejects the expression
  size_t max_chars = 256;        // longer input is rejected before parsing
  int max_depth = 32;            // parenthesis nesting limit (keeps the recursion bounded)
  int max_digits = 9;            // per number literal
};

struct ExprValue {
  bool ok = false;
  std::string why;               // reason when !ok
  Rational value;                // when ok
  std::vector<int64_t> numbers;  // the literals in order of appearance (when ok)
};
ExprValue evaluate_expression(std::string_view text, const ExprRules& rules = {});

}  // namespace r1::tasks
