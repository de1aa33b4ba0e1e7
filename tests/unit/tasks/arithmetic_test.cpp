#include "tasks/arithmetic.h"

#include <gtest/gtest.h>

#include "core/error.h"

namespace r1::tasks {
namespace {

TEST(Arithmetic, ProblemAndStrictAnswers) {
  const ArithmeticTask t;
  const Problem p = t.make_problem(37, '+', 58);
  EXPECT_EQ(p.prompt.rfind("What is 37+58?", 0), 0u);
  EXPECT_EQ(p.target, 95);
  EXPECT_EQ(p.answer_hint, "95");
  EXPECT_EQ(p.numbers, (std::vector<int64_t>{37, 58}));
  EXPECT_EQ(p.op, "+");
  EXPECT_TRUE(t.check_answer(p, "95").correct);
  for (const char* bad : {"095", "95.0", "+95", "9 5", "95!", "ninety-five", "1e2", "0x5f", "", "95 ", "37+58"}) {
    const AnswerCheck c = t.check_answer(p, bad);
    EXPECT_FALSE(c.correct) << bad;
    EXPECT_FALSE(c.parsed) << bad;
  }
  const AnswerCheck wrong = t.check_answer(p, "96");
  EXPECT_TRUE(wrong.parsed);
  EXPECT_FALSE(wrong.correct);
  // Through the full reward: whitespace around the answer inside the tags is fine.
  EXPECT_EQ(t.score(p, "<think>7+8=15</think>\n<answer> 95 </answer>").accuracy, 1.0);
}

TEST(Arithmetic, NegativeNumbers) {
  ArithmeticOptions o;
  o.min_operand = -50;
  o.max_operand = 50;
  const ArithmeticTask t(o);
  const Problem p = t.make_problem(12, '*', -7);
  EXPECT_EQ(p.prompt.rfind("What is 12*(-7)?", 0), 0u);
  EXPECT_TRUE(t.check_answer(p, "-84").correct);
  EXPECT_FALSE(t.check_answer(p, "- 84").correct);
  EXPECT_FALSE(t.check_answer(p, "84").correct);
  EXPECT_FALSE(t.check_answer(t.make_problem(3, '-', 3), "-0").correct);
  EXPECT_TRUE(t.check_answer(t.make_problem(3, '-', 3), "0").correct);
}

TEST(Arithmetic, TracesAreCorrectForEveryOpAndSign) {
  const ArithmeticTask t;
  // 37*58: 37*50 = 1850, 37*8 = 296, 1850 + 296 = 2146.
  EXPECT_EQ(t.solution_trace(t.make_problem(37, '*', 58)),
            "<think>37*50=1850\n37*8=296\n1850+296=2146</think><answer>2146</answer>");
  // 37+58: 37 + 50 = 87, 87 + 8 = 95.
  EXPECT_EQ(t.solution_trace(t.make_problem(37, '+', 58)), "<think>37+50=87\n87+8=95</think><answer>95</answer>");
  // 37-58: 37 − 50 = −13, −13 − 8 = −21.
  EXPECT_EQ(t.solution_trace(t.make_problem(37, '-', 58)), "<think>37-50=-13\n-13-8=-21</think><answer>-21</answer>");
  ArithmeticOptions o;
  o.min_operand = -1000;
  o.max_operand = 1000;
  const ArithmeticTask wide(o);
  Rng rng(4);
  for (int i = 0; i < 500; ++i) {
    const Problem p = wide.sample(rng);
    const std::string trace = wide.solution_trace(p);
    const Reward r = wide.score(p, trace);
    EXPECT_EQ(r.accuracy, 1.0) << p.prompt << "\n" << trace;
    EXPECT_EQ(r.format, 1.0);
    for (int64_t x : p.numbers) EXPECT_TRUE(x >= -1000 && x <= 1000);
  }
  // Zero and place values with gaps: 7*305 = 7*300 + 7*5.
  EXPECT_EQ(t.solution_trace(t.make_problem(7, '*', 305)), "<think>7*300=2100\n7*5=35\n2100+35=2135</think><answer>2135</answer>");
  EXPECT_EQ(t.solution_trace(t.make_problem(7, '*', 0)), "<think>7*0=0</think><answer>0</answer>");
}

TEST(Arithmetic, OptionsAndDeterminism) {
  ArithmeticOptions o;
  o.ops = "*";
  o.min_operand = 2;
  o.max_operand = 9;
  const ArithmeticTask t(o);
  Rng a(3), b(3);
  for (int i = 0; i < 100; ++i) {
    const Problem p = t.sample(a), q = t.sample(b);
    EXPECT_EQ(p.prompt, q.prompt);
    EXPECT_EQ(p.op, "*");
    EXPECT_TRUE(p.numbers[0] >= 2 && p.numbers[0] <= 9 && p.numbers[1] >= 2 && p.numbers[1] <= 9);
    EXPECT_EQ(p.target, p.numbers[0] * p.numbers[1]);
  }
  EXPECT_THROW(t.make_problem(1, '/', 2), Error);
  o.max_operand = 2000000000;
  EXPECT_THROW(ArithmeticTask{o}, Error);
  // The largest operands still give an exact int64 result.
  o.min_operand = -1000000000;
  o.max_operand = 1000000000;
  const ArithmeticTask big(o);
  const Problem p = big.make_problem(-1000000000, '*', 1000000000);
  EXPECT_EQ(p.target, -1000000000000000000);
  EXPECT_TRUE(big.check_answer(p, "-1000000000000000000").correct);
  EXPECT_EQ(big.score(p, big.solution_trace(p)).accuracy, 1.0);
}

TEST(Arithmetic, UniformIntCoversTheRangeWithoutBias) {
  Rng rng(8);
  int counts[5] = {0, 0, 0, 0, 0};
  for (int i = 0; i < 50000; ++i) ++counts[uniform_int(rng, -2, 2) + 2];
  for (int c : counts) EXPECT_NEAR(c, 10000, 400);  // ~4 standard deviations
  EXPECT_EQ(uniform_int(rng, 7, 7), 7);
  EXPECT_THROW(uniform_int(rng, 2, 1), Error);
}

}  // namespace
}  // namespace r1::tasks
