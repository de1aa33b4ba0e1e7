// The R1 format reward, the split and the registry (shared by every task).
#include "tasks/task.h"

#include <gtest/gtest.h>

#include <set>

#include "core/error.h"
#include "tasks/arithmetic.h"
#include "tasks/countdown.h"
#include "tasks/registry.h"
#include "tasks/split.h"

namespace r1::tasks {
namespace {

const std::string kEos = "<\xEF\xBD\x9C" "end\xE2\x96\x81" "of\xE2\x96\x81" "sentence\xEF\xBD\x9C>";

TEST(TaskFormat, AcceptsTheExactShape) {
  FormatParse f = parse_r1_format("<think>37+58=95</think><answer>95</answer>");
  EXPECT_TRUE(f.ok) << f.why;
  EXPECT_EQ(f.think, "37+58=95");
  EXPECT_EQ(f.answer, "95");
  // Whitespace and newlines around and between the blocks; whitespace inside <answer> is trimmed.
  f = parse_r1_format("\n <think>\nstep\n</think>\n\n<answer>  95 \n</answer>\n");
  EXPECT_TRUE(f.ok) << f.why;
  EXPECT_EQ(f.answer, "95");
  // An empty think block is allowed.
  EXPECT_TRUE(parse_r1_format("<think></think><answer>1</answer>").ok);
  // The end marker, once, optionally surrounded by whitespace.
  EXPECT_TRUE(parse_r1_format("<think>x</think><answer>1</answer>" + kEos).ok);
  EXPECT_TRUE(parse_r1_format("<think>x</think><answer>1</answer>\n" + kEos + "\n").ok);
}

TEST(TaskFormat, RejectsEverythingElse) {
  const char* bad[] = {
      "95",                                                   // no tags
      "<answer>95</answer>",                                  // no think
      "<think>x</think>",                                     // no answer
      "<think>x</think><answer>95",                           // unclosed answer
      "<think>x<answer>95</answer>",                          // unclosed think
      "hello <think>x</think><answer>95</answer>",            // text before
      "<think>x</think> so <answer>95</answer>",              // text between
      "<think>x</think><answer>95</answer> done",             // text after </answer>
      "<think>x</think><answer>95</answer><answer>96</answer>",  // two answers
      "<think>x</think><answer>   </answer>",                 // empty answer
      "<think>a<think>b</think><answer>95</answer>",          // nested tag in think
      "<think>x</think><answer>9<think>5</answer>",           // tag inside answer
      "<think>x</think><think>y</think><answer>95</answer>",  // two think blocks
      "<THINK>x</THINK><ANSWER>95</ANSWER>",                  // tags are case sensitive
  };
  for (const char* s : bad) EXPECT_FALSE(parse_r1_format(s).ok) << s;
  // The end marker at most once, and nothing after it.
  EXPECT_FALSE(parse_r1_format("<think>x</think><answer>1</answer>" + kEos + kEos).ok);
  EXPECT_FALSE(parse_r1_format("<think>x</think><answer>1</answer>" + kEos + "more").ok);
  // With no end markers configured, the marker is trailing text.
  FormatSpec none;
  none.end_markers.clear();
  EXPECT_FALSE(parse_r1_format("<think>x</think><answer>1</answer>" + kEos, none).ok);
}

TEST(TaskFormat, ThinkPrefilledByThePrompt) {
  FormatSpec spec;
  spec.think_prefilled = true;
  const FormatParse f = parse_r1_format("let me see\n</think>\n<answer>7</answer>", spec);
  EXPECT_TRUE(f.ok) << f.why;
  EXPECT_EQ(f.think, "let me see\n");
  EXPECT_EQ(f.answer, "7");
  // Opening <think> again would nest it.
  EXPECT_FALSE(parse_r1_format("<think>x</think><answer>7</answer>", spec).ok);
}

TEST(TaskReward, CombinesFormatAndAccuracy) {
  const ArithmeticTask t;  // weights: accuracy 1, format 0.1
  const Problem p = t.make_problem(37, '+', 58);
  Reward r = t.score(p, "<think>37+58=95</think><answer>95</answer>");
  EXPECT_EQ(r.accuracy, 1.0);
  EXPECT_EQ(r.format, 1.0);
  EXPECT_DOUBLE_EQ(r.total, 1.1);
  EXPECT_TRUE(r.parsed);
  EXPECT_EQ(r.answer, "95");
  r = t.score(p, "<think>hmm</think><answer>96</answer>");  // formatted, wrong
  EXPECT_EQ(r.accuracy, 0.0);
  EXPECT_EQ(r.format, 1.0);
  EXPECT_TRUE(r.parsed);
  EXPECT_DOUBLE_EQ(r.total, 0.1);
  r = t.score(p, "<think>hmm</think><answer>ninety-five</answer>");  // formatted, unparseable
  EXPECT_FALSE(r.parsed);
  EXPECT_DOUBLE_EQ(r.total, 0.1);
  r = t.score(p, "The answer is 95.");  // correct number, no format: nothing
  EXPECT_EQ(r.accuracy, 0.0);
  EXPECT_EQ(r.format, 0.0);
  EXPECT_EQ(r.total, 0.0);
  EXPECT_EQ(r.answer, "");
  EXPECT_FALSE(r.why.empty());
  r = t.score(p, "<think>x</think><answer>95</answer> trailing");  // correct inside, text after: nothing
  EXPECT_EQ(r.total, 0.0);
}

TEST(TaskSplit, DeterministicDisjointAndNearTheFraction) {
  const CountdownTask t;
  const SplitSpec spec;  // 10% test
  const std::vector<Problem> test = make_problem_set(t, Split::test, 1000, 1, spec);
  const std::vector<Problem> train = make_problem_set(t, Split::train, 3000, 2, spec);
  ASSERT_EQ(test.size(), 1000u);
  std::set<std::string> test_keys;
  for (const Problem& p : test) {
    EXPECT_EQ(split_of(t, p, spec), Split::test);
    test_keys.insert(t.canonical(p));
  }
  EXPECT_EQ(test_keys.size(), 1000u);  // distinct
  for (const Problem& p : train) {
    EXPECT_EQ(split_of(t, p, spec), Split::train);
    EXPECT_EQ(test_keys.count(t.canonical(p)), 0u);  // disjoint from the evaluation set
  }
  // Same seed, same set.
  const std::vector<Problem> again = make_problem_set(t, Split::test, 1000, 1, spec);
  for (size_t i = 0; i < test.size(); ++i) EXPECT_EQ(again[i].prompt, test[i].prompt);
  // The split is a pure function of the canonical text: a fixed hash value, and near 10% of random draws.
  EXPECT_EQ(split_hash("countdown\n1,2,3\n6", "r1-tasks-v1"), split_hash("countdown\n1,2,3\n6", "r1-tasks-v1"));
  EXPECT_NE(split_hash("countdown\n1,2,3\n6", "r1-tasks-v1"), split_hash("countdown\n1,2,3\n6", "other"));
  Rng rng(3);
  int n_test = 0;
  for (int i = 0; i < 4000; ++i) n_test += split_of(t, t.sample(rng), spec) == Split::test;
  EXPECT_GT(n_test, 300);
  EXPECT_LT(n_test, 500);
}

TEST(TaskSplit, PresentationDoesNotChangeTheSplit) {
  const CountdownTask t;
  const Problem a = t.make_problem({3, 7, 25, 50}, 175), b = t.make_problem({50, 25, 7, 3}, 175);
  EXPECT_EQ(t.canonical(a), t.canonical(b));
  EXPECT_EQ(split_of(t, a), split_of(t, b));
  Rng rng(5);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(split_of(t, sample_split(t, rng, Split::test)), Split::test);
}

TEST(TaskSplit, TooSmallASpaceIsAnError) {
  ArithmeticOptions o;
  o.min_operand = 1;
  o.max_operand = 3;
  o.ops = "+";
  const ArithmeticTask t(o);  // 9 problems in all
  EXPECT_THROW(make_problem_set(t, Split::test, 100, 1), Error);
  SplitSpec bad;
  bad.test_fraction = 1.5;
  EXPECT_THROW(split_of(t, t.make_problem(1, '+', 2), bad), Error);
}

TEST(TaskRegistry, MakesTasksByNameWithOptions) {
  auto cd = make_task("countdown", parse_task_options("n_numbers=3, max_number=20, ops=+-*"));
  ASSERT_NE(cd, nullptr);
  EXPECT_EQ(cd->name(), "countdown");
  const auto& opt = static_cast<const CountdownTask&>(*cd).options();
  EXPECT_EQ(opt.n_numbers, 3);
  EXPECT_EQ(opt.max_number, 20);
  EXPECT_EQ(opt.ops, "+-*");
  Rng rng(1);
  const Problem p = cd->sample(rng);
  EXPECT_EQ(p.numbers.size(), 3u);
  auto ar = make_task("arithmetic", {{"ops", "*"}, {"format_weight", "0.5"}, {"think_prefilled", "true"}});
  EXPECT_EQ(ar->reward_params().format_weight, 0.5);
  EXPECT_TRUE(ar->reward_params().format.think_prefilled);
  EXPECT_EQ(TaskRegistry::builtin().names(), (std::vector<std::string>{"arithmetic", "countdown"}));
}

TEST(TaskRegistry, ClearErrors) {
  auto message = [](auto&& f) {
    try {
      f();
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message([] { make_task("sudoku"); }).find("unknown task 'sudoku'"), std::string::npos);
  EXPECT_NE(message([] { make_task("countdown", {{"n_number", "3"}}); }).find("unknown option 'n_number'"),
            std::string::npos);
  EXPECT_NE(message([] { make_task("countdown", {{"n_numbers", "three"}}); }).find("n_numbers"), std::string::npos);
  EXPECT_THROW(make_task("countdown", {{"n_numbers", "9"}}), Error);
  EXPECT_THROW(make_task("countdown", {{"ops", "+^"}}), Error);
  EXPECT_THROW(make_task("arithmetic", {{"ops", "/"}}), Error);
  EXPECT_THROW(make_task("arithmetic", {{"min_operand", "5"}, {"max_operand", "1"}}), Error);
  EXPECT_THROW(make_task("arithmetic", {{"think_prefilled", "yes"}}), Error);
  EXPECT_THROW(parse_task_options("n_numbers"), Error);
  EXPECT_THROW(parse_task_options("a=1,a=2"), Error);
  EXPECT_TRUE(parse_task_options("  ").empty());
}

TEST(TaskRegistry, UsersAddTheirOwnTasks) {
  // A user task: say the word back.
  struct Echo : Task {
    std::string name() const override { return "echo"; }
    Problem sample(Rng& rng) const override {
      Problem p;
      p.task = name();
      p.answer_hint = "w" + std::to_string(uniform_int(rng, 0, 9));
      p.prompt = "Say " + p.answer_hint + ". " + std::string(format_instruction());
      return p;
    }
    std::string solution_trace(const Problem& p) const override {
      return "<think>echo</think><answer>" + p.answer_hint + "</answer>";
    }
    AnswerCheck check_answer(const Problem& p, std::string_view a) const override {
      return {true, a == p.answer_hint, a == p.answer_hint ? "" : "different word"};
    }
  };
  TaskRegistry reg = TaskRegistry::builtin();
  reg.add("echo", [](const TaskOptions&) { return std::make_unique<Echo>(); });
  EXPECT_THROW(reg.add("echo", [](const TaskOptions&) { return std::make_unique<Echo>(); }), Error);
  auto t = reg.make("echo");
  Rng rng(2);
  const Problem p = t->sample(rng);
  EXPECT_EQ(t->score(p, t->solution_trace(p)).accuracy, 1.0);
  EXPECT_EQ(t->canonical(p), "echo\n" + p.prompt);  // the default canonical text
}

}  // namespace
}  // namespace r1::tasks
