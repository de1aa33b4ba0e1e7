// Arithmetic: "What is 37+58?" — one binary operation on two integers, answered with one integer.
//
// Problem data: numbers = {a, b}, op = "+", "-" or "*", target = the exact result. A negative operand is shown
// in parentheses ("What is 12*(-7)?"). The answer must be a strict integer literal (expr.h parse_strict_int:
// optional '-', digits, no leading zeros, no '+', no separators, no decimal point); nothing else is accepted.
#pragma once

#include <string>

#include "tasks/task.h"

namespace r1::tasks {

struct ArithmeticOptions {
  std::string ops = "+-*";  // non-empty subset of "+-*"
  int64_t min_operand = 1, max_operand = 99;  // |operands| <= 10^9 so every result fits in int64
  bool compact_prompt = false;  // prompt "37+58" instead of the sentence with the format instruction
  RewardParams reward;
};

class ArithmeticTask : public Task {
 public:
  explicit ArithmeticTask(ArithmeticOptions opt = {});  // throws r1::Error on invalid options

  std::string name() const override { return "arithmetic"; }
  Problem sample(Rng& rng) const override;
  // Decomposes the second operand by place value: "37*58" -> "37*50=1850\n37*8=296\n1850+296=2146".
  std::string solution_trace(const Problem& p) const override;
  // The same working where each step's result slips by ±10 with probability `slip` and the working goes on from
  // the slipped value (the answer follows the working): imperfect solutions for a pretraining corpus.
  std::string noisy_trace(const Problem& p, Rng& rng, double slip) const override;
  AnswerCheck check_answer(const Problem& p, std::string_view answer) const override;
  // "arithmetic\n<a><op><b>"
  std::string canonical(const Problem& p) const override;

  Problem make_problem(int64_t a, char op, int64_t b) const;  // throws r1::Error on an op outside "+-*"
  const ArithmeticOptions& options() const { return opt_; }

 private:
  std::string trace(const Problem& p, Rng* rng, double slip) const;
  ArithmeticOptions opt_;
};

}  // namespace r1::tasks
