// The reasoning pipeline end to end on a small budget: r1 zero (corpus, pretraining, evaluation, GRPO,
// evaluation, report), r1 eval, r1 solve on the result, r1 distill into a student, and bad inputs.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "testutil.h"

namespace r1 {
namespace {

using json = nlohmann::json;
// Small additions keep the budget small: the 150-step base already answers a few of them.
const std::string kTask = "--task arithmetic --task-options ops=+,min_operand=1,max_operand=30,compact=1";

TEST(Reasoning, ZeroPipelineEvalSolveAndDistill) {
  test::TempDir d;
  const std::string out = d.path() + "/zero";
  auto r = test::run_r1("zero --out " + out + " " + kTask + " --corpus-problems 3000 --pretrain-steps 150 "
                        "--pretrain-batch 16 --pretrain-seq 64 --grpo-steps 3 --prompts 8 --group 4 --eval-problems 40 "
                        "--samples 4 -t 1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* f : {"data/train.tok", "base/model.safetensors", "base/loss.svg", "rl/model.safetensors",
                        "rl/grpo_log.jsonl", "rl/grpo_reward.svg", "rl/grpo_length.svg", "rl/task.json",
                        "eval_base.json", "eval_rl.json", "report.md", "report.json"})
    EXPECT_TRUE(std::filesystem::exists(out + "/" + f)) << f;
  const json rep = json::parse(test::read_text(out + "/report.json"));
  EXPECT_EQ(rep["grpo"]["steps"], 3);
  for (const char* k : {"eval_base", "eval_rl"}) {
    EXPECT_EQ(rep[k]["problems"], 40);
    for (const char* m : {"pass@1", "pass@k", "format_rate", "mean_length"}) {
      const double v = rep[k][m].get<double>();
      EXPECT_GE(v, 0.0) << k << " " << m;
    }
    EXPECT_LE(rep[k]["pass@1"].get<double>(), rep[k]["pass@k"].get<double>());  // pass@1 <= pass@k always
  }
  // The pretrained base already writes the format it saw in every document.
  EXPECT_GT(rep["eval_base"]["format_rate"].get<double>(), 0.5);

  r = test::run_r1("eval --model " + out + "/rl " + kTask + " --problems 20 --samples 2 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["problems"], 20);

  r = test::run_r1("solve --model " + out + "/rl --count 2 --max-tokens 40");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Problem 1:"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("of 2 correct"), std::string::npos) << r.out;
  r = test::run_r1("solve --model " + out + "/rl --problem 37+58 --temperature 0 --max-tokens 40");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Problem 1: 37+58"), std::string::npos) << r.out;

  r = test::run_r1("distill --teacher " + out + "/rl --student-init " + out + "/base --out " + d.path() + "/distill " +
                   kTask + " --problems 100 --samples 4 --steps 3 --batch 4 --seq 32 --eval-problems 20 --eval-samples 2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json dr = json::parse(test::read_text(d.path() + "/distill/report.json"));
  EXPECT_GT(dr["traces"]["kept"].get<int64_t>(), 0);
  EXPECT_LE(dr["traces"]["kept"].get<int64_t>(), 400);
  EXPECT_TRUE(dr.contains("eval_student_distilled"));
}

// The CI-sized smoke run (about a minute, fixed seeds): a base pretrained on single-digit sums with slips, then
// GRPO; the mean group reward of the last 25 steps clearly exceeds that of the first 25.
TEST(Reasoning, GrpoSmokeRunRaisesTheMeanGroupReward) {
  test::TempDir d;
  const std::string to = "--task arithmetic --task-options ops=+,min_operand=1,max_operand=9,compact=1";
  auto r = test::run_r1("corpus " + to + " --problems 3000 --slip 0.4 --seed 5 --out " + d.path() + "/data");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = test::run_r1("train --config train-tiny --data " + d.path() + "/data/train.tok --out " + d.path() +
                   "/base --steps 400 --batch 16 --seq 64 -t 1 --no-progress");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = test::run_r1("grpo --model " + d.path() + "/base --out " + d.path() + "/rl " + to +
                   " --steps 150 --prompts 16 --group 8 --max-tokens 24 --lr 1e-4 --seed 3 -t 1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<double> reward;
  std::ifstream in(d.path() + "/rl/grpo_log.jsonl");
  for (std::string line; std::getline(in, line);) reward.push_back(json::parse(line)["reward"].get<double>());
  ASSERT_EQ(reward.size(), 150u);
  double first = 0, last = 0;
  for (size_t i = 0; i < 25; ++i) first += reward[i] / 25, last += reward[reward.size() - 1 - i] / 25;
  std::printf("mean group reward: first 25 steps %.3f, last 25 steps %.3f\n", first, last);
  EXPECT_GT(last, first + 0.15);
}

TEST(Reasoning, BadInputsAreNamed) {
  test::TempDir d;
  auto r = test::run_r1("grpo --model " + d.path() + "/nonexistent --out " + d.path() + "/x --task arithmetic");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("/nonexistent"), std::string::npos) << r.err;
  r = test::run_r1("eval --model " + d.path() + "/nonexistent --task nosuchtask");
  EXPECT_NE(r.exit_code, 0);
  r = test::run_r1("corpus --task countdown --task-options n_numbers=9 --out " + d.path() + "/bad-corpus");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("n_numbers"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace r1
