// Countdown (as in TinyZero and the R1-Zero reproductions): given n numbers and a target, write an arithmetic
// expression (+ - * / and parentheses) that uses each given number exactly once and evaluates exactly to the
// target.
//
// Problem data: numbers = the given numbers (in the order shown), target = the target; op unused.
// Rules (CountdownOptions): which operators are allowed, and whether fractional intermediate values are allowed
// (default not: every division must divide exactly, the classic game's rule). The answer is an expression in
// the language of expr.h, optionally followed by "= N" where N must be the target written as a strict integer.
// The expression's literals must be exactly the given multiset: a number not given, a number used more times
// than given, or a given number left out rejects the answer.
//
// Generation builds a random expression tree over the sampled numbers (random pairs, random allowed operators,
// positive integer intermediate values only) and takes its value as the target, so every problem is solvable;
// draws whose target falls outside [min_target, max_target] are redrawn.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "tasks/expr.h"
#include "tasks/task.h"

namespace r1::tasks {

struct CountdownOptions {
  int n_numbers = 4;  // 2..6
  int64_t min_number = 1, max_number = 99;
  int64_t min_target = 1, max_target = 999;
  std::string ops = "+-*/";      // non-empty subset of "+-*/"
  bool allow_fractions = false;  // allow non-integer intermediate values
  RewardParams reward;
};

// One solving step "a op b = value" (values exact).
struct CountdownStep {
  Rational a, b, value;
  char op;
};

struct CountdownSolution {
  std::string expression;  // with minimal parentheses, e.g. "(50-25)*7"
  std::vector<CountdownStep> steps;
};

// Exhaustive search over pairs: repeatedly combine two of the remaining values with an allowed operator until
// one value is left, and compare it with the target. Tries positive-integer intermediate values first (nicer
// traces), then everything the rules allow. Memoises failed states. nullopt when there is no solution.
// Requires 1 <= numbers.size() <= 6.
std::optional<CountdownSolution> solve_countdown(const std::vector<int64_t>& numbers, int64_t target,
                                                 const std::string& ops = "+-*/", bool allow_fractions = false);

class CountdownTask : public Task {
 public:
  explicit CountdownTask(CountdownOptions opt = {});  // throws r1::Error on invalid options

  std::string name() const override { return "countdown"; }
  Problem sample(Rng& rng) const override;
  std::string solution_trace(const Problem& p) const override;
  AnswerCheck check_answer(const Problem& p, std::string_view answer) const override;
  // "countdown\n<sorted numbers>\n<target>": the order the numbers are shown in does not make a new problem.
  std::string canonical(const Problem& p) const override;

  // A problem with the given data (prompt and answer_hint filled in; the hint is "" when unsolvable).
  Problem make_problem(std::vector<int64_t> numbers, int64_t target) const;
  const CountdownOptions& options() const { return opt_; }

 private:
  Problem build_problem(std::vector<int64_t> numbers, int64_t target) const;  // no answer_hint
  CountdownOptions opt_;
  ExprRules rules_;
};

}  // namespace r1::tasks
