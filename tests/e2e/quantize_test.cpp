// r1 quantize end to end on tiny-v3: q8 and q4 folders load and generate; a q8 folder and --quant q8 give the
// same logits bit for bit; q8's logits stay within the error the q8 step predicts; bad input is refused.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "testutil.h"

namespace r1 {
namespace {

class Quantize : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir();
    ASSERT_EQ(test::run_r1("init --config tiny-v3 --out " + (*dir_ / "bf16") + " --seed 3").exit_code, 0);
    for (const char* t : {"q8", "q4"}) {
      const auto r = test::run_r1("quantize --model " + (*dir_ / "bf16") + " --out " + (*dir_ / t) + " --type " + t);
      ASSERT_EQ(r.exit_code, 0) << r.err;
    }
  }
  static void TearDownTestSuite() { delete dir_; }
  static std::string dir(const std::string& name) { return *dir_ / name; }
  static std::vector<float> logits(const std::string& args) {
    const auto r = test::run_r1("logits --tokens 0,17,5 " + args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return nlohmann::json::parse(r.out)["logits"].get<std::vector<float>>();
  }
  static std::vector<int> greedy(const std::string& args) {
    const auto r = test::run_r1("generate --tokens 0,17,5 --max-tokens 8 --ignore-eos --json " + args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return nlohmann::json::parse(r.out)["tokens"].get<std::vector<int>>();
  }
  static double rel_l2(const std::vector<float>& a, const std::vector<float>& b) {
    double d = 0.0, n = 0.0;
    for (size_t i = 0; i < a.size(); ++i) {
      d += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
      n += double(a[i]) * a[i];
    }
    return std::sqrt(d / n);
  }
  static test::TempDir* dir_;
};
test::TempDir* Quantize::dir_ = nullptr;

TEST_F(Quantize, FoldersAreSmallerAndGenerate) {
  namespace fs = std::filesystem;
  const auto bf16 = fs::file_size(dir("bf16") + "/model.safetensors");
  const auto q8 = fs::file_size(dir("q8") + "/model.safetensors");
  const auto q4 = fs::file_size(dir("q4") + "/model.safetensors");
  EXPECT_LT(q8, bf16 * 3 / 4);  // 8.5 of 16 bits for most weights (embeddings stay BF16)
  EXPECT_LT(q4, q8 * 3 / 4);
  EXPECT_TRUE(fs::exists(dir("q4") + "/tokenizer.json"));
  for (const char* t : {"q8", "q4"}) EXPECT_EQ(greedy("--model " + dir(t)).size(), 8u) << t;
  const auto text = test::run_r1("generate --model " + dir("q4") + " --prompt hello --max-tokens 4 --ignore-eos");
  EXPECT_EQ(text.exit_code, 0) << text.err;
  const auto info = test::run_r1("info --model " + dir("q8"));
  EXPECT_EQ(info.exit_code, 0) << info.err;
}

TEST_F(Quantize, FileAndLoadTimeQuantizationAgreeExactly) {
  EXPECT_EQ(logits("--model " + dir("q8")), logits("--model " + dir("bf16") + " --quant q8"));
  EXPECT_EQ(logits("--model " + dir("q4")), logits("--model " + dir("bf16") + " --quant q4"));
  EXPECT_EQ(greedy("--model " + dir("q8")), greedy("--model " + dir("bf16") + " --quant q8"));
  // Mapped or copied into huge-page memory: the same bytes, the same numbers.
  for (const char* t : {"bf16", "q8"})
    EXPECT_EQ(logits("--model " + dir(t) + " --load mmap"), logits("--model " + dir(t) + " --load copy")) << t;
}

TEST_F(Quantize, Q8StaysCloseToBf16) {
  // Expected relative error of one q8 matmul: weights U(-a, a) (r1 init) quantized with step a / 127 have RMS
  // error (a / 127) / sqrt(12) against RMS a / sqrt(3): 1/254; int8 activations (block max ~ 2.5 sigma) add
  // 2.5 / (127 sqrt(12)). Errors of the quantized matmuls on the way (5 attention + 3 FFN per layer, 3 layers,
  // the head) add in quadrature; allow 3x that estimate.
  const double eps = std::hypot(1.0 / 254.0, 2.5 / (127.0 * std::sqrt(12.0)));
  const double bound = 3.0 * eps * std::sqrt(8.0 * 3 + 1);
  const std::vector<float> ref = logits("--model " + dir("bf16"));
  const double e8 = rel_l2(ref, logits("--model " + dir("q8")));
  const double e4 = rel_l2(ref, logits("--model " + dir("q4")));
  EXPECT_LT(e8, bound);
  EXPECT_GT(e4, 3.0 * e8);  // q4's step is ~16x coarser than q8's: it must show
  const std::vector<int> g = greedy("--model " + dir("bf16")), g8 = greedy("--model " + dir("q8"));
  EXPECT_EQ(std::vector<int>(g.begin(), g.begin() + 4), std::vector<int>(g8.begin(), g8.begin() + 4));
}

TEST_F(Quantize, BadInputIsRefused) {
  auto r = test::run_r1("quantize --model " + dir("bf16") + " --out " + dir("x") + " --type q5");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("q8 or q4"), std::string::npos) << r.err;
  r = test::run_r1("quantize --model " + dir("bf16") + " --out " + dir("q8") + " --type q8");  // exists, not empty
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("not empty"), std::string::npos) << r.err;
  r = test::run_r1("generate --model " + dir("bf16") + " --tokens 1 --quant q3");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE((r.out + r.err).find("--quant: must be q8 or q4, got 'q3'"), std::string::npos) << r.err;
  r = test::run_r1("generate --model " + dir("bf16") + " --tokens 1 --load hugepages");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE((r.out + r.err).find("--load: must be mmap or copy, got 'hugepages'"), std::string::npos) << r.err;
  // A q8 folder whose file lost its tail.
  namespace fs = std::filesystem;
  fs::create_directories(dir("cut"));
  for (const auto& e : fs::directory_iterator(dir("q8"))) fs::copy_file(e.path(), dir("cut") + "/" + e.path().filename().string());
  fs::resize_file(dir("cut") + "/model.safetensors", fs::file_size(dir("cut") + "/model.safetensors") - 100);
  r = test::run_r1("generate --model " + dir("cut") + " --tokens 1");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("model.safetensors"), std::string::npos) << r.err;
}

TEST_F(Quantize, QuantEvalReportsQ8CloserThanQ4) {
  const auto r = test::run_r1("quant-eval --model " + dir("bf16") + " --prompts 4 --positions 16 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<nlohmann::json> rows;
  size_t i = 0;
  while (i < r.out.size()) {
    const size_t j = r.out.find('\n', i);
    rows.push_back(nlohmann::json::parse(r.out.substr(i, j - i)));
    i = j + 1;
  }
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0]["type"], "q8");
  EXPECT_EQ(rows[0]["positions"], 64);
  EXPECT_LT(rows[0]["kl_mean"].get<double>(), rows[1]["kl_mean"].get<double>());
  EXPECT_LT(rows[0]["rel_logit_err"].get<double>(), rows[1]["rel_logit_err"].get<double>());
  EXPECT_GE(rows[0]["top1"].get<double>(), rows[1]["top1"].get<double>());
  EXPECT_LT(rows[1]["linear_bytes"].get<double>(), rows[0]["linear_bytes"].get<double>());
}

}  // namespace
}  // namespace r1
