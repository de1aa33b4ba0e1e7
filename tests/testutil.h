// Helpers shared by the test suites.
#pragma once

#include <string>
#include <vector>

#include "core/rng.h"
#include "model/init_checkpoint.h"
#include "quant/weight.h"

namespace r1::test {

// Batch invariance of linear() on `w`: for T = 2..15 inputs (LinearPass::Auto; 16 and more may take the GEMM
// path there), and for T up to 70 with LinearPass::Decode (past every GEMM threshold: what a batched decode step
// runs), each input's outputs equal, bit for bit, what it gets alone (T = 1, either pass). Inputs are
// U(-amp, amp) from `rng`.
void expect_batch_invariant(const Weight& w, Rng& rng, float amp, const std::string& what);

// max |got - ref| / max |ref|: the relative difference the forward-pass tests bound (1e-4 for f32 arithmetic).
double rel_diff(const std::vector<float>& got, const std::vector<float>& ref);

// A fresh folder under the system temp dir, removed with the object.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// The four tiny variants the golden files were made from (same seeds as tools/reference/make_golden.sh).
struct Variant {
  std::string name;  // v2-lite, v2, v3, v3-fp8
  InitOptions init;  // without .out
};
std::vector<Variant> golden_variants();

// Runs the r1 binary with `args` (shell-quoted by the caller where needed), stdin from `stdin_path` (default
// /dev/null); captures stdout and stderr.
struct RunResult {
  int exit_code = -1;
  std::string out, err;
};
// `env` ("NAME=value ...") is prepended to the command line.
RunResult run_r1(const std::string& args, const std::string& stdin_path = "/dev/null", const std::string& env = "");

std::string read_text(const std::string& path);
void write_text(const std::string& path, const std::string& text);

}  // namespace r1::test
