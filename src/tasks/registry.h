// Making tasks by name: make_task("countdown", {{"n_numbers", "3"}}). Options are string key/value pairs so a
// command line can pass them through unchanged ("n_numbers=3,max_number=50"); each task reads the keys it
// knows and an unknown key is an error naming the task and the key. Users add their own tasks to a registry
// of their own: `auto reg = TaskRegistry::builtin(); reg.add("mytask", factory);` (no global state).
//
// Keys every built-in task reads (the reward):
//   think_prefilled (bool: true/false/1/0), accuracy_weight (double), format_weight (double),
//   end_marker (string; replaces the default end marker; "" allows none)
// countdown: n_numbers, min_number, max_number, min_target, max_target (integers), ops (subset of "+-*/"),
//            allow_fractions (bool)
// arithmetic: ops (subset of "+-*"), min_operand, max_operand (integers), compact (bool: prompt "37+58")
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "tasks/task.h"

namespace r1::tasks {

using TaskOptions = std::map<std::string, std::string>;

// "k=v,k=v" -> options. Whitespace around keys and values is trimmed; an empty string gives no options.
// Throws r1::Error on an entry without '=', an empty key or a repeated key.
TaskOptions parse_task_options(std::string_view text);

// Reads typed values out of TaskOptions and remembers which keys were read; finish() throws r1::Error naming
// any key nobody read. Every getter throws r1::Error naming the task and key on a malformed value.
class OptionReader {
 public:
  OptionReader(std::string task, const TaskOptions& opts) : task_(std::move(task)), opts_(opts) {}
  int64_t get_int(const std::string& key, int64_t fallback);
  double get_double(const std::string& key, double fallback);
  bool get_bool(const std::string& key, bool fallback);
  std::string get_string(const std::string& key, const std::string& fallback);
  void finish() const;

 private:
  const std::string* find(const std::string& key);
  std::string task_;
  const TaskOptions& opts_;
  std::set<std::string> used_;
};

// Reads the reward keys listed above.
RewardParams read_reward_params(OptionReader& r);

class TaskRegistry {
 public:
  using Factory = std::function<std::unique_ptr<Task>(const TaskOptions&)>;

  static TaskRegistry builtin();  // "arithmetic", "countdown"
  void add(const std::string& name, Factory factory);  // throws r1::Error on a name already taken
  std::unique_ptr<Task> make(std::string_view name, const TaskOptions& opts = {}) const;  // r1::Error if unknown
  std::vector<std::string> names() const;  // sorted

 private:
  std::map<std::string, Factory, std::less<>> factories_;
};

// TaskRegistry::builtin().make(name, opts).
std::unique_ptr<Task> make_task(std::string_view name, const TaskOptions& opts = {});

}  // namespace r1::tasks
