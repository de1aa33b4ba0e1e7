#include "testutil.h"

#include <algorithm>
#include <cmath>

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace fs = std::filesystem;

namespace r1::test {

TempDir::TempDir() {
  std::string tmpl = (fs::temp_directory_path() / "r1test.XXXXXX").string();
  if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

std::vector<Variant> golden_variants() {
  auto v = [](std::string name, std::string cfg, uint64_t seed, bool fp8, int shards) {
    InitOptions o;
    o.config = std::move(cfg);
    o.seed = seed;
    o.fp8 = fp8;
    o.shards = shards;
    return Variant{std::move(name), o};
  };
  return {v("v2-lite", "tiny-v2-lite", 1, false, 1), v("v2", "tiny-v2", 2, false, 1), v("v3", "tiny-v3", 3, false, 1),
          v("v3-fp8", "tiny-v3", 4, true, 2), v("qwen2", "tiny-qwen2", 5, false, 1),
          v("llama", "tiny-llama", 6, false, 1)};
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

RunResult run_r1(const std::string& args, const std::string& stdin_path, const std::string& env) {
  TempDir t;
  const std::string cmd = (env.empty() ? "" : env + " ") + std::string(R1_BINARY) + " " + args + " >" + (t / "out") + " 2>" + (t / "err") + " <" + stdin_path;
  const int status = std::system(cmd.c_str());
  RunResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  r.out = read_text(t / "out");
  r.err = read_text(t / "err");
  return r;
}

void expect_batch_invariant(const Weight& w, Rng& rng, float amp, const std::string& what) {
  struct Case {
    LinearPass pass;
    int64_t T;
  };
  const Case cases[] = {{LinearPass::Auto, 2},    {LinearPass::Auto, 3},    {LinearPass::Auto, 4},
                        {LinearPass::Auto, 5},    {LinearPass::Auto, 9},    {LinearPass::Auto, 15},
                        {LinearPass::Decode, 16}, {LinearPass::Decode, 20}, {LinearPass::Decode, 70}};
  for (const Case& c : cases) {
    const int64_t T = c.T;
    const std::string pass = c.pass == LinearPass::Decode ? " decode pass" : "";
    std::vector<float> x(size_t(T * w.cols)), batch(size_t(T * w.rows)), one(static_cast<size_t>(w.rows)),
        one_decode(static_cast<size_t>(w.rows));
    for (auto& v : x) v = rng.symmetric(amp);
    linear(w, x.data(), T, batch.data(), c.pass);
    for (int64_t t = 0; t < T; ++t) {
      linear(w, x.data() + t * w.cols, 1, one.data());
      linear(w, x.data() + t * w.cols, 1, one_decode.data(), LinearPass::Decode);
      for (int64_t r = 0; r < w.rows; ++r) {
        EXPECT_EQ(one[size_t(r)], batch[size_t(t * w.rows + r)]) << what << pass << " T " << T << " t " << t << " r " << r;
        EXPECT_EQ(one[size_t(r)], one_decode[size_t(r)]) << what << " T 1, decode pass, r " << r;
      }
    }
  }
}

double rel_diff(const std::vector<float>& got, const std::vector<float>& ref) {
  double num = 0.0, den = 0.0;
  for (size_t i = 0; i < ref.size(); ++i) {
    num = std::max(num, std::fabs(double(got[i]) - double(ref[i])));
    den = std::max(den, std::fabs(double(ref[i])));
  }
  return num / den;
}

}  // namespace r1::test
