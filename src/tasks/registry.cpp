#include "tasks/registry.h"

#include <cerrno>
#include <cstdlib>

#include "core/error.h"
#include "tasks/arithmetic.h"
#include "tasks/countdown.h"
#include "tasks/expr.h"

namespace r1::tasks {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::unique_ptr<Task> make_countdown(const TaskOptions& opts) {
  OptionReader r("countdown", opts);
  CountdownOptions o;
  o.n_numbers = int(r.get_int("n_numbers", o.n_numbers));
  o.min_number = r.get_int("min_number", o.min_number);
  o.max_number = r.get_int("max_number", o.max_number);
  o.min_target = r.get_int("min_target", o.min_target);
  o.max_target = r.get_int("max_target", o.max_target);
  o.ops = r.get_string("ops", o.ops);
  o.allow_fractions = r.get_bool("allow_fractions", o.allow_fractions);
  o.reward = read_reward_params(r);
  r.finish();
  return std::make_unique<CountdownTask>(o);
}

std::unique_ptr<Task> make_arithmetic(const TaskOptions& opts) {
  OptionReader r("arithmetic", opts);
  ArithmeticOptions o;
  o.ops = r.get_string("ops", o.ops);
  o.min_operand = r.get_int("min_operand", o.min_operand);
  o.max_operand = r.get_int("max_operand", o.max_operand);
  o.compact_prompt = r.get_bool("compact", o.compact_prompt);
  o.reward = read_reward_params(r);
  r.finish();
  return std::make_unique<ArithmeticTask>(o);
}

}  // namespace

TaskOptions parse_task_options(std::string_view text) {
  TaskOptions out;
  if (trim(text).empty()) return out;
  size_t start = 0;
  for (;;) {
    const size_t comma = text.find(',', start);
    const std::string_view item = text.substr(start, comma == std::string_view::npos ? text.npos : comma - start);
    const size_t eq = item.find('=');
    require(eq != std::string_view::npos, "task options: expected key=value, got '" + std::string(item) + "'");
    const std::string key(trim(item.substr(0, eq)));
    require(!key.empty(), "task options: empty key in '" + std::string(item) + "'");
    require(out.emplace(key, std::string(trim(item.substr(eq + 1)))).second, "task options: key '" + key + "' given twice");
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

const std::string* OptionReader::find(const std::string& key) {
  used_.insert(key);
  const auto it = opts_.find(key);
  return it == opts_.end() ? nullptr : &it->second;
}

int64_t OptionReader::get_int(const std::string& key, int64_t fallback) {
  const std::string* v = find(key);
  if (!v) return fallback;
  const std::optional<int64_t> x = parse_strict_int(*v);
  require(x.has_value(), task_ + ": option " + key + " must be an integer, got '" + *v + "'");
  return *x;
}

double OptionReader::get_double(const std::string& key, double fallback) {
  const std::string* v = find(key);
  if (!v) return fallback;
  char* end = nullptr;
  errno = 0;
  const double x = std::strtod(v->c_str(), &end);
  require(!v->empty() && end == v->c_str() + v->size() && errno == 0,
          task_ + ": option " + key + " must be a number, got '" + *v + "'");
  return x;
}

bool OptionReader::get_bool(const std::string& key, bool fallback) {
  const std::string* v = find(key);
  if (!v) return fallback;
  if (*v == "true" || *v == "1") return true;
  if (*v == "false" || *v == "0") return false;
  throw Error(task_ + ": option " + key + " must be true/false/1/0, got '" + *v + "'");
}

std::string OptionReader::get_string(const std::string& key, const std::string& fallback) {
  const std::string* v = find(key);
  return v ? *v : fallback;
}

void OptionReader::finish() const {
  for (const auto& [k, v] : opts_)
    require(used_.count(k) > 0, task_ + ": unknown option '" + k + "'");
}

RewardParams read_reward_params(OptionReader& r) {
  RewardParams p;
  p.format.think_prefilled = r.get_bool("think_prefilled", p.format.think_prefilled);
  p.accuracy_weight = r.get_double("accuracy_weight", p.accuracy_weight);
  p.format_weight = r.get_double("format_weight", p.format_weight);
  const std::string marker = r.get_string("end_marker", p.format.end_markers.front());
  p.format.end_markers = marker.empty() ? std::vector<std::string>{} : std::vector<std::string>{marker};
  return p;
}

TaskRegistry TaskRegistry::builtin() {
  TaskRegistry r;
  r.add("arithmetic", make_arithmetic);
  r.add("countdown", make_countdown);
  return r;
}

void TaskRegistry::add(const std::string& name, Factory factory) {
  require(!name.empty(), "task registry: empty task name");
  require(factories_.emplace(name, std::move(factory)).second, "task registry: task '" + name + "' already registered");
}

std::unique_ptr<Task> TaskRegistry::make(std::string_view name, const TaskOptions& opts) const {
  const auto it = factories_.find(name);
  if (it == factories_.end()) {
    std::string known;
    for (const auto& [k, f] : factories_) known += (known.empty() ? "" : ", ") + k;
    throw Error("unknown task '" + std::string(name) + "' (known: " + known + ")");
  }
  return it->second(opts);
}

std::vector<std::string> TaskRegistry::names() const {
  std::vector<std::string> out;
  for (const auto& [k, f] : factories_) out.push_back(k);
  return out;
}

std::unique_ptr<Task> make_task(std::string_view name, const TaskOptions& opts) {
  return TaskRegistry::builtin().make(name, opts);
}

}  // namespace r1::tasks
