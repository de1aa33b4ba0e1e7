#include <omp.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "core/error.h"
#include "core/threads.h"
#include "io/file_util.h"
#include "quant/quantize.h"

namespace r1::cli {

std::vector<int32_t> parse_token_list(const std::string& s) {
  std::vector<int32_t> out;
  size_t i = 0;
  while (i <= s.size()) {
    size_t j = s.find(',', i);
    if (j == std::string::npos) j = s.size();
    std::string item = s.substr(i, j - i);
    while (!item.empty() && item.front() == ' ') item.erase(item.begin());
    while (!item.empty() && item.back() == ' ') item.pop_back();
    require(!item.empty(), "--tokens: empty entry in '" + s + "'");
    char* end = nullptr;
    errno = 0;
    const long long v = std::strtoll(item.c_str(), &end, 10);
    require(end && *end == '\0' && errno == 0 && v >= INT32_MIN && v <= INT32_MAX,
            "--tokens: '" + item + "' is not a token id");
    out.push_back(int32_t(v));
    i = j + 1;
  }
  return out;
}

AttnMode parse_attn(const std::string& s) {
  if (s == "auto") return AttnMode::Auto;
  if (s == "naive") return AttnMode::Naive;
  if (s == "absorb") return AttnMode::Absorb;
  throw Error("--attn must be auto, naive or absorb, got '" + s + "'");
}

void add_load_options(CLI::App* cmd, ModelLoadOptions* load) {
  cmd->add_option_function<std::string>(
      "--quant",
      [load](const std::string& v) {
        DType t;
        if (!quant_type_from_name(v, &t)) throw CLI::ValidationError("--quant", "must be q8 or q4, got '" + v + "'");
        load->quant = t;
      },
      "Quantize linear weights at load time: q8 (8.5 bits/weight) or q4 (4.5); see docs/formats.md");
  cmd->add_option_function<std::string>(
         "--load",
         [load](const std::string& v) {
           if (!weight_memory_from_name(v, &load->memory))
             throw CLI::ValidationError("--load", "must be mmap or copy, got '" + v + "'");
         },
         "How weights are held: mmap (map the files: starts at once, zero-copy) or copy (read them into huge-page "
         "memory: slower start, ~5-10 % faster decode; for servers; with --quant the file stays mapped)")
      ->default_str("mmap");
}

void add_spec_option(CLI::App* cmd, bool* spec) {
  cmd->add_option_function<std::string>(
         "--spec",
         [spec](const std::string& v) {
           if (v != "none" && v != "mtp") throw CLI::ValidationError("--spec", "must be none or mtp, got '" + v + "'");
           *spec = v == "mtp";
         },
         "Speculative decoding: none | mtp (the checkpoint's MTP module drafts, the model verifies; same output "
         "distribution)")
      ->default_str("none");
}

void add_cache_type_option(CLI::App* cmd, DType* type) {
  cmd->add_option_function<std::string>(
         "--cache-type",
         [type](const std::string& v) {
           if (!cache_type_from_name(v, type))
             throw CLI::ValidationError("--cache-type", "must be f32, bf16 or fp8, got '" + v + "'");
         },
         "KV cache storage: f32 | bf16 (half the bytes) | fp8 (e4m3 with per-row scales, about a quarter); "
         "see docs/numerics.md")
      ->default_str("f32");
}


void set_threads(int threads) {
  require(threads >= 0, "--threads must be >= 0");
  set_compute_threads(threads);
}

std::string json_float(float v) {
  if (!std::isfinite(v)) return v != v ? "null" : (v > 0 ? "1e38" : "-1e38");
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", double(v));
  return buf;
}

}  // namespace r1::cli

namespace r1::cli {

void resolve_task(const std::string& model_dir, std::string* task, std::string* options) {
  if (!task->empty()) return;
  const std::string tj = model_dir + "/task.json";
  require(std::filesystem::exists(tj), model_dir + ": no task.json; give --task");
  const auto j = nlohmann::json::parse(read_file(tj), nullptr, false);
  require(j.is_object() && j.contains("task") && j["task"].is_string(), tj + ": expected {\"task\": NAME, ...}");
  *task = j["task"].get<std::string>();
  if (options->empty()) *options = j.value("task_options", "");
}

}  // namespace r1::cli
