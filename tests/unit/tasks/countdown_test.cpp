#include "tasks/countdown.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "core/error.h"
#include "tasks/expr.h"

namespace r1::tasks {
namespace {

AnswerCheck check(const CountdownTask& t, std::vector<int64_t> nums, int64_t target, std::string_view answer) {
  return t.check_answer(t.make_problem(std::move(nums), target), answer);
}

TEST(CountdownExpr, EvaluatesExactlyWithPrecedence) {
  ExprValue v = evaluate_expression("(50-25)*7");
  ASSERT_TRUE(v.ok) << v.why;
  EXPECT_EQ(v.value, (Rational{175, 1}));
  EXPECT_EQ(v.numbers, (std::vector<int64_t>{50, 25, 7}));
  EXPECT_EQ(evaluate_expression("2+3*4").value, (Rational{14, 1}));
  EXPECT_EQ(evaluate_expression("10-4-3").value, (Rational{3, 1}));    // left to right
  EXPECT_EQ(evaluate_expression("64/8/2").value, (Rational{4, 1}));    // left to right
  EXPECT_EQ(evaluate_expression("3-5+10").value, (Rational{8, 1}));    // negative intermediate is fine
  ExprRules frac;
  frac.allow_fractions = true;
  EXPECT_EQ(evaluate_expression("7/2*4", frac).value, (Rational{14, 1}));  // exact: 7/2 then ·4
  EXPECT_EQ(evaluate_expression("1/3+1/6", frac).value, (Rational{1, 2}));
  EXPECT_FALSE(evaluate_expression("7/2*4").ok);  // integer rules: 7/2 is not exact
  EXPECT_EQ(evaluate_expression("7/2*4").why, "non-exact division 7/2");
}

TEST(CountdownExpr, RejectsOutsideTheGrammar) {
  const char* bad[] = {"",       "()",     "1+",     "+1",      "-1+2",    "1++2",  "(1+2",   "1+2)",
                       "1 2",    "2^3",    "2**3",   "1.5+1",   "1e3",     "01+2",  "a+1",    "1+1;",
                       "eval()", "1=1",    "x",      "1\xC3\x97" "2", "[1+2]"};
  for (const char* s : bad) {
    const ExprValue v = evaluate_expression(s);
    EXPECT_FALSE(v.ok) << "'" << s << "'";
    EXPECT_FALSE(v.why.empty());
  }
  EXPECT_FALSE(evaluate_expression(std::string_view("1+2\0", 4)).ok);  // an embedded NUL
  EXPECT_FALSE(evaluate_expression("5/0").ok);
  EXPECT_EQ(evaluate_expression("5/(3-3)").why, "division by zero");
  EXPECT_FALSE(evaluate_expression("1234567890+1").ok);  // more than 9 digits
  EXPECT_FALSE(evaluate_expression("999999999*999999999*999999999").ok);  // overflows int64: rejected
  // Deep nesting is bounded (no stack exhaustion), overlong input rejected before parsing.
  EXPECT_FALSE(evaluate_expression(std::string(100, '(') + "1" + std::string(100, ')')).ok);
  EXPECT_TRUE(evaluate_expression(std::string(20, '(') + "1" + std::string(20, ')')).ok);
  std::string longexpr = "1";
  for (int i = 0; i < 200; ++i) longexpr += "+1";
  EXPECT_EQ(evaluate_expression(longexpr).why, "expression longer than 256 characters");
}

TEST(CountdownExpr, StrictIntegers) {
  EXPECT_EQ(parse_strict_int("0"), 0);
  EXPECT_EQ(parse_strict_int("-42"), -42);
  EXPECT_EQ(parse_strict_int("9223372036854775807"), INT64_MAX);
  EXPECT_EQ(parse_strict_int("-9223372036854775807"), -INT64_MAX);
  for (const char* s : {"", "-", "-0", "+5", " 5", "5 ", "05", "5.0", "1,000", "1e3", "0x10", "12345678901234567890", "9223372036854775808"})
    EXPECT_FALSE(parse_strict_int(s).has_value()) << s;
}

TEST(Countdown, VerifierAcceptsCorrectAnswersInManyForms) {
  const CountdownTask t;
  const std::vector<int64_t> n = {3, 7, 25, 50};
  // numbers 3, 7, 25, 50 and target 178: (50 − 25)·7 + 3
  for (const char* a : {"(50-25)*7+3", "(50 - 25) * 7 + 3", " ( ( 50-25 ) )*7+3 ", "3+7*(50-25)", "((50-25)*7)+3",
                        "(50-25)*7+3 = 178", "7*(50-25)+3=178", "(50-25)\n*7+3"}) {
    const AnswerCheck c = check(t, n, 178, a);
    EXPECT_TRUE(c.correct) << a << ": " << c.why;
  }
  // A duplicate number in the problem may be used as often as it is given.
  EXPECT_TRUE(check(t, {5, 5, 4}, 100, "5*5*4").correct);
  // Division that is exact is fine: 50/25 = 2, 2*7*3 = 42.
  EXPECT_TRUE(check(t, n, 42, "50/25*7*3").correct);
}

TEST(Countdown, VerifierRejectsWrongMalformedAndMalicious) {
  const CountdownTask t;
  const std::vector<int64_t> n = {3, 7, 25, 50};
  struct Case {
    const char* answer;
    const char* why_contains;
  };
  const Case cases[] = {
      {"(50-25)*7", "number 3 not used"},                     // unused number (175, not 178)
      {"(50-25)*7+3+3-3", "used more times than given"},      // reused number
      {"(50-25)*7+1+2", "not one of the given numbers"},      // a number not given
      {"(50-25)*7+4", "not one of the given numbers"},        // likewise
      {"(50+25)*7+3", "evaluates to 528"},                    // wrong value
      {"(50-25)*7+3/(7-7)", ""},                              // division by zero (and reuse)
      {"50/(25-25+3-3)+7", "division by zero"},               // division by zero
      {"(50-25)*(7+3)/3", ""},                                // 3 reused; 250/3 not exact
      {"(50-25)*7+3=179", "states the result 179"},           // states a wrong result
      {"(50-25)*7+3=178=178", "more than one '='"},
      {"(50-25)*7+3=abc", "expected an integer"},
      {"x+(50-25)*7+3", "unexpected character 'x' at 0"},     // letters
      {"x=(50-25)*7+3", "after '=' expected an integer"},
      {"(50-25)*seven+3", "unexpected character 's'"},
      {"__import__('os')", "unexpected character '_'"},       // malicious text is just rejected
      {"(50-25)*7+3; rm -rf /", "unexpected character ';'"},
      {"(50-25)*7+3)", "unexpected character ')'"},
      {"[(50-25)*7+3]", "unexpected character '['"},
      {"", "unexpected end"},
  };
  for (const Case& c : cases) {
    const AnswerCheck r = check(t, n, 178, c.answer);
    EXPECT_FALSE(r.correct) << c.answer;
    EXPECT_NE(r.why.find(c.why_contains), std::string::npos) << c.answer << " -> " << r.why;
  }
  // Nested junk: deeper than the parser's limit of 32.
  const std::string deep = std::string(40, '(') + "50" + std::string(40, ')') + "-25)*7+3";
  EXPECT_NE(check(t, n, 178, "(" + deep).why.find("nested deeper"), std::string::npos);
  // Non-exact division: 7/2 with integer rules, even though (7/2)·4 = 14 exactly.
  EXPECT_FALSE(check(t, {7, 2, 4}, 14, "7/2*4").correct);
  CountdownOptions o;
  o.allow_fractions = true;
  EXPECT_TRUE(check(CountdownTask(o), {7, 2, 4}, 14, "7/2*4").correct);
  // Very long input.
  std::string huge(100000, '(');
  EXPECT_NE(check(t, n, 178, huge).why.find("longer than"), std::string::npos);
  // Disallowed operator.
  o = {};
  o.ops = "+-*";
  EXPECT_NE(check(CountdownTask(o), {50, 25, 7, 3}, 42, "50/25*7*3").why.find("not allowed"), std::string::npos);
}

TEST(Countdown, SolverFindsSolutionsAndWritesATrace) {
  const CountdownTask t;
  const Problem p = t.make_problem({25, 50, 7}, 175);
  const std::optional<CountdownSolution> s = solve_countdown(p.numbers, p.target);
  ASSERT_TRUE(s.has_value());
  EXPECT_TRUE(t.check_answer(p, s->expression).correct) << s->expression;
  EXPECT_EQ(s->steps.size(), 2u);  // n − 1 combinations
  const std::string trace = t.solution_trace(p);
  EXPECT_EQ(trace.rfind("<think>", 0), 0u);
  EXPECT_EQ(t.score(p, trace).accuracy, 1.0) << trace;
  // The trace lists each step as "a op b=value" and ends with the final expression.
  EXPECT_NE(trace.find("=175</think>"), std::string::npos) << trace;
  // Unsolvable: 1, 1 can make at most 2.
  EXPECT_FALSE(solve_countdown({1, 1}, 5).has_value());
  EXPECT_THROW(t.solution_trace(t.make_problem({1, 1}, 5)), Error);
  EXPECT_EQ(t.make_problem({1, 1}, 5).answer_hint, "");
  // Needs a fraction: 1, 3, 4, 6 -> 24 only as 6/(1 − 3/4).
  EXPECT_FALSE(solve_countdown({1, 3, 4, 6}, 24).has_value());
  const auto f = solve_countdown({1, 3, 4, 6}, 24, "+-*/", true);
  ASSERT_TRUE(f.has_value());
  CountdownOptions o;
  o.allow_fractions = true;
  const CountdownTask tf(o);
  const Problem pf = tf.make_problem({1, 3, 4, 6}, 24);
  EXPECT_TRUE(tf.check_answer(pf, f->expression).correct) << f->expression;
  EXPECT_EQ(tf.score(pf, tf.solution_trace(pf)).accuracy, 1.0);
}

TEST(Countdown, GeneratedProblemsAreSolvable) {
  for (int n_numbers : {3, 4, 5}) {
    CountdownOptions o;
    o.n_numbers = n_numbers;
    const CountdownTask t(o);
    Rng rng(uint64_t(100 + n_numbers));
    for (int i = 0; i < (n_numbers == 5 ? 40 : 200); ++i) {
      const Problem p = t.sample(rng);
      ASSERT_EQ(p.numbers.size(), size_t(n_numbers));
      for (int64_t x : p.numbers) EXPECT_TRUE(x >= 1 && x <= 99);
      EXPECT_TRUE(p.target >= 1 && p.target <= 999);
      EXPECT_TRUE(t.check_answer(p, p.answer_hint).correct) << p.prompt << " hint " << p.answer_hint;
      const std::string trace = t.solution_trace(p);  // the solver finds a solution
      const Reward r = t.score(p, trace);
      EXPECT_EQ(r.accuracy, 1.0) << p.prompt << "\n" << trace;
      EXPECT_EQ(r.format, 1.0);
    }
  }
}

// Independent oracle: every value an expression over the multiset `v` can take (integer rules: each division
// exact), by splitting the multiset into two non-empty parts in every way (a different algorithm from the
// solver's pairwise reduction).
std::set<int64_t> reachable(const std::vector<int64_t>& v, std::map<std::vector<int64_t>, std::set<int64_t>>* memo) {
  if (v.size() == 1) return {v[0]};
  if (auto it = memo->find(v); it != memo->end()) return it->second;
  std::set<int64_t> out;
  const size_t n = v.size();
  for (unsigned mask = 1; mask + 1 < (1u << n); ++mask) {
    std::vector<int64_t> a, b;
    for (size_t i = 0; i < n; ++i) (mask >> i & 1 ? a : b).push_back(v[i]);
    for (int64_t x : reachable(a, memo))
      for (int64_t y : reachable(b, memo)) {
        out.insert(x + y);
        out.insert(x - y);
        out.insert(x * y);
        if (y != 0 && x % y == 0) out.insert(x / y);
      }
  }
  (*memo)[v] = out;
  return out;
}

TEST(Countdown, SolverIsExhaustive) {
  Rng rng(21);
  for (int trial = 0; trial < 6; ++trial) {
    std::vector<int64_t> nums;
    for (int i = 0; i < 4; ++i) nums.push_back(uniform_int(rng, 1, 13));
    std::sort(nums.begin(), nums.end());
    std::map<std::vector<int64_t>, std::set<int64_t>> memo;
    const std::set<int64_t> can = reachable(nums, &memo);
    for (int64_t target = -20; target <= 300; ++target) {
      const auto s = solve_countdown(nums, target);
      ASSERT_EQ(s.has_value(), can.count(target) > 0) << "target " << target;
      if (s) {
        EXPECT_EQ(evaluate_expression(s->expression).value, (Rational{target, 1})) << s->expression;
      }
    }
  }
}

TEST(Countdown, RandomInputNeverCrashesAndNeverFoolsTheVerifier) {
  const CountdownTask t;
  const Problem p = t.make_problem({3, 7, 25, 50}, 178);
  const std::string alphabet = "0123456789+-*/() =x\n\t<>";
  Rng rng(5);
  int correct = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string s;
    const int64_t len = uniform_int(rng, 0, 40);
    for (int64_t k = 0; k < len; ++k)
      s += (i % 4 == 0) ? char(uniform_int(rng, 0, 255)) : alphabet[size_t(uniform_int(rng, 0, int64_t(alphabet.size()) - 1))];
    const AnswerCheck c = t.check_answer(p, s);
    if (c.correct) {  // then it really is: the literals are exactly the numbers and the value is the target
      ++correct;
      const ExprValue v = evaluate_expression(s.substr(0, s.find('=')));
      ASSERT_TRUE(v.ok);
      std::vector<int64_t> used = v.numbers;
      std::sort(used.begin(), used.end());
      EXPECT_EQ(used, (std::vector<int64_t>{3, 7, 25, 50}));
      EXPECT_EQ(v.value, (Rational{178, 1}));
    }
    (void)t.score(p, "<think>" + s + "</think><answer>" + s + "</answer>");
  }
  EXPECT_EQ(correct, 0);  // random text does not solve the puzzle
}

TEST(Countdown, DifficultyKnobsAndDeterminism) {
  CountdownOptions o;
  o.n_numbers = 3;
  o.min_number = 10;
  o.max_number = 20;
  o.min_target = 50;
  o.max_target = 60;
  o.ops = "+*";
  const CountdownTask t(o);
  Rng a(9), b(9), c(10);
  bool differs = false;
  for (int i = 0; i < 50; ++i) {
    const Problem p = t.sample(a), q = t.sample(b), r = t.sample(c);
    EXPECT_EQ(p.prompt, q.prompt);
    EXPECT_EQ(p.answer_hint, q.answer_hint);
    differs |= p.prompt != r.prompt;
    for (int64_t x : p.numbers) EXPECT_TRUE(x >= 10 && x <= 20);
    EXPECT_TRUE(p.target >= 50 && p.target <= 60);
    EXPECT_EQ(p.answer_hint.find_first_of("-/"), std::string::npos);
    EXPECT_NE(p.prompt.find("+, *"), std::string::npos);
  }
  EXPECT_TRUE(differs);
  // Options that cannot produce a problem are an error, not a hang.
  o.min_target = 100000;
  o.max_target = 100001;
  o.max_number = 11;
  const CountdownTask impossible(o);
  Rng r(1);
  EXPECT_THROW(impossible.sample(r), Error);
}

TEST(Countdown, PromptShowsTheNumbersAndTarget) {
  const CountdownTask t;
  const Problem p = t.make_problem({3, 7, 25, 50}, 178);
  EXPECT_NE(p.prompt.find("[3, 7, 25, 50]"), std::string::npos);
  EXPECT_NE(p.prompt.find("equals 178"), std::string::npos);
  EXPECT_NE(p.prompt.find("<answer>"), std::string::npos);
  EXPECT_EQ(p.task, "countdown");
}

}  // namespace
}  // namespace r1::tasks
