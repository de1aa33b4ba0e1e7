#include "tasks/countdown.h"

#include <algorithm>
#include <map>
#include <unordered_set>

#include "core/error.h"

namespace r1::tasks {
namespace {

// Expression tree built by the solver and the generator: leaves are given numbers.
struct Node {
  Rational v;
  char op = 0;  // 0 for a leaf
  int l = -1, r = -1;
};

int prec(const Node& n) { return n.op == 0 ? 3 : (n.op == '+' || n.op == '-') ? 1 : 2; }

std::string render(const std::vector<Node>& t, int i) {
  const Node& n = t[size_t(i)];
  if (n.op == 0) return n.v.str();
  std::string l = render(t, n.l), r = render(t, n.r);
  const int p = prec(n), pl = prec(t[size_t(n.l)]), pr = prec(t[size_t(n.r)]);
  if (pl < p) l = "(" + l + ")";
  if (pr < p || (pr == p && (n.op == '-' || n.op == '/'))) r = "(" + r + ")";
  return l + n.op + r;
}

void collect_steps(const std::vector<Node>& t, int i, std::vector<CountdownStep>* out) {
  const Node& n = t[size_t(i)];
  if (n.op == 0) return;
  collect_steps(t, n.l, out);
  collect_steps(t, n.r, out);
  out->push_back({t[size_t(n.l)].v, t[size_t(n.r)].v, n.v, n.op});
}

std::string operand(const Rational& v) {
  return (v.num < 0 || !v.is_integer()) ? "(" + v.str() + ")" : v.str();
}

class Solver {
 public:
  Solver(Rational target, const std::string& ops, bool allow_fractions)
      : target_(target), ops_(ops), allow_fractions_(allow_fractions) {}

  std::optional<CountdownSolution> solve(const std::vector<int64_t>& numbers) {
    for (int phase = 0; phase < 2; ++phase) {  // 0: positive integers only; 1: whatever the rules allow
      positive_only_ = phase == 0;
      failed_.clear();
      tree_.clear();
      std::vector<int> items;
      for (int64_t x : numbers) {
        tree_.push_back({Rational{x, 1}, 0, -1, -1});
        items.push_back(int(tree_.size()) - 1);
      }
      if (search(items)) {
        CountdownSolution s;
        s.expression = render(tree_, root_);
        collect_steps(tree_, root_, &s.steps);
        return s;
      }
    }
    return std::nullopt;
  }

 private:
  bool allowed(char op) const { return ops_.find(op) != std::string::npos; }

  std::string key(const std::vector<int>& items) const {
    std::vector<Rational> v;
    for (int i : items) v.push_back(tree_[size_t(i)].v);
    std::sort(v.begin(), v.end());
    std::string k;
    for (const Rational& r : v) k += r.str() + ",";
    return k;
  }

  bool search(const std::vector<int>& items) {
    if (items.size() == 1) {
      if (tree_[size_t(items[0])].v == target_) {
        root_ = items[0];
        return true;
      }
      return false;
    }
    const std::string k = key(items);
    if (failed_.count(k)) return false;
    for (size_t i = 0; i < items.size(); ++i) {
      for (size_t j = i + 1; j < items.size(); ++j) {
        const int a = items[i], b = items[j];
        const std::pair<int, int> ab{a, b}, ba{b, a};
        const std::pair<std::pair<int, int>, char> cands[] = {{ab, '+'}, {ab, '*'}, {ab, '-'},
                                                              {ba, '-'}, {ab, '/'}, {ba, '/'}};
        for (const auto& [xy, op] : cands) {
          if (!allowed(op)) continue;
          const Rational x = tree_[size_t(xy.first)].v, y = tree_[size_t(xy.second)].v;
          const std::optional<Rational> r = apply_op(op, x, y);
          if (!r) continue;  // overflow or division by zero
          if (!r->is_integer() && (positive_only_ || !allow_fractions_)) continue;
          if (positive_only_ && r->num <= 0) continue;
          tree_.push_back({*r, op, xy.first, xy.second});
          std::vector<int> next;
          for (size_t m = 0; m < items.size(); ++m)
            if (m != i && m != j) next.push_back(items[m]);
          next.push_back(int(tree_.size()) - 1);
          if (search(next)) return true;
          tree_.pop_back();
        }
      }
    }
    failed_.insert(k);
    return false;
  }

  Rational target_;
  std::string ops_;
  bool allow_fractions_;
  bool positive_only_ = true;
  std::vector<Node> tree_;
  int root_ = -1;
  std::unordered_set<std::string> failed_;
};

std::string_view trim(std::string_view s) {
  auto ws = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!s.empty() && ws(s.front())) s.remove_prefix(1);
  while (!s.empty() && ws(s.back())) s.remove_suffix(1);
  return s;
}

std::string join_numbers(const std::vector<int64_t>& v, const char* sep) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? sep : "") + std::to_string(v[i]);
  return s;
}

}  // namespace

std::optional<CountdownSolution> solve_countdown(const std::vector<int64_t>& numbers, int64_t target,
                                                 const std::string& ops, bool allow_fractions) {
  require(!numbers.empty() && numbers.size() <= 6,
          "solve_countdown: needs 1 to 6 numbers, got " + std::to_string(numbers.size()));
  return Solver(Rational{target, 1}, ops, allow_fractions).solve(numbers);
}

CountdownTask::CountdownTask(CountdownOptions opt) : Task(opt.reward), opt_(std::move(opt)) {
  require(opt_.n_numbers >= 2 && opt_.n_numbers <= 6,
          "countdown: n_numbers must be in [2, 6], got " + std::to_string(opt_.n_numbers));
  require(opt_.min_number >= 1 && opt_.min_number <= opt_.max_number && opt_.max_number <= 999999999,
          "countdown: need 1 <= min_number <= max_number <= 999999999, got [" + std::to_string(opt_.min_number) +
              ", " + std::to_string(opt_.max_number) + "]");
  require(opt_.min_target <= opt_.max_target, "countdown: min_target > max_target");
  require(!opt_.ops.empty() && opt_.ops.find_first_not_of("+-*/") == std::string::npos,
          "countdown: ops must be a non-empty subset of \"+-*/\", got \"" + opt_.ops + "\"");
  rules_.ops = opt_.ops;
  rules_.allow_fractions = opt_.allow_fractions;
}

Problem CountdownTask::build_problem(std::vector<int64_t> numbers, int64_t target) const {
  Problem p;
  p.task = name();
  std::string ops_text;
  for (char c : opt_.ops) ops_text += (ops_text.empty() ? "" : ", ") + std::string(1, c);
  p.prompt = "Using the numbers [" + join_numbers(numbers, ", ") + "], create an expression that equals " +
             std::to_string(target) + ". You may use " + ops_text +
             " and parentheses, and must use each number exactly once. " + std::string(format_instruction()) +
             " For example: <answer>(1+2)*3</answer>";
  p.numbers = std::move(numbers);
  p.target = target;
  return p;
}

Problem CountdownTask::make_problem(std::vector<int64_t> numbers, int64_t target) const {
  Problem p = build_problem(std::move(numbers), target);
  if (!p.numbers.empty() && p.numbers.size() <= 6) {
    if (auto s = solve_countdown(p.numbers, target, opt_.ops, opt_.allow_fractions)) p.answer_hint = s->expression;
  }
  return p;
}

Problem CountdownTask::sample(Rng& rng) const {
  for (int attempt = 0; attempt < 10000; ++attempt) {
    std::vector<int64_t> nums;
    std::vector<Node> tree;
    std::vector<int> pool;
    for (int i = 0; i < opt_.n_numbers; ++i) {
      nums.push_back(uniform_int(rng, opt_.min_number, opt_.max_number));
      tree.push_back({Rational{nums.back(), 1}, 0, -1, -1});
      pool.push_back(i);
    }
    // Combine random pairs with random operators, keeping intermediate values positive integers.
    while (pool.size() > 1) {
      bool combined = false;
      for (int tries = 0; tries < 50 && !combined; ++tries) {
        const size_t i = size_t(uniform_int(rng, 0, int64_t(pool.size()) - 1));
        size_t j = size_t(uniform_int(rng, 0, int64_t(pool.size()) - 2));
        if (j >= i) ++j;
        const char op = opt_.ops[size_t(uniform_int(rng, 0, int64_t(opt_.ops.size()) - 1))];
        const std::optional<Rational> r = apply_op(op, tree[size_t(pool[i])].v, tree[size_t(pool[j])].v);
        if (!r || !r->is_integer() || r->num <= 0) continue;
        tree.push_back({*r, op, pool[i], pool[j]});
        const int made = int(tree.size()) - 1;
        pool.erase(pool.begin() + std::ptrdiff_t(std::max(i, j)));
        pool.erase(pool.begin() + std::ptrdiff_t(std::min(i, j)));
        pool.push_back(made);
        combined = true;
      }
      if (!combined) break;
    }
    if (pool.size() != 1) continue;
    const int64_t target = tree[size_t(pool[0])].v.num;
    if (target < opt_.min_target || target > opt_.max_target) continue;
    Problem made = build_problem(std::move(nums), target);
    made.answer_hint = render(tree, pool[0]);  // the generating expression (cheaper and always valid)
    return made;
  }
  throw Error("countdown: could not generate a problem in 10000 attempts; the options (n_numbers=" +
              std::to_string(opt_.n_numbers) + ", numbers [" + std::to_string(opt_.min_number) + ", " +
              std::to_string(opt_.max_number) + "], targets [" + std::to_string(opt_.min_target) + ", " +
              std::to_string(opt_.max_target) + "], ops \"" + opt_.ops + "\") are too restrictive");
}

std::string CountdownTask::solution_trace(const Problem& p) const {
  require(p.numbers.size() >= 1 && p.numbers.size() <= 6, "countdown: solution_trace needs 1 to 6 numbers");
  const std::optional<CountdownSolution> s = solve_countdown(p.numbers, p.target, opt_.ops, opt_.allow_fractions);
  require(s.has_value(), "countdown: no solution for numbers [" + join_numbers(p.numbers, ", ") + "] and target " +
                             std::to_string(p.target));
  std::string think;
  for (const CountdownStep& st : s->steps) {
    if (!think.empty()) think += "\n";
    think += operand(st.a) + st.op + operand(st.b) + "=" + st.value.str();
  }
  return "<think>" + think + "</think><answer>" + s->expression + "</answer>";
}

AnswerCheck CountdownTask::check_answer(const Problem& p, std::string_view answer) const {
  AnswerCheck c;
  if (answer.size() > rules_.max_chars) {
    c.why = "answer longer than " + std::to_string(rules_.max_chars) + " characters";
    return c;
  }
  std::string_view expr = answer;
  const size_t eq = answer.find('=');
  if (eq != std::string_view::npos) {  // optional "= target"
    const std::string_view rhs = trim(answer.substr(eq + 1));
    if (rhs.find('=') != std::string_view::npos) {
      c.why = "more than one '='";
      return c;
    }
    const std::optional<int64_t> stated = parse_strict_int(rhs);
    if (!stated) {
      c.why = "after '=' expected an integer, got '" + std::string(rhs.substr(0, 32)) + "'";
      return c;
    }
    expr = answer.substr(0, eq);
    if (*stated != p.target) {
      c.why = "states the result " + std::to_string(*stated) + ", the target is " + std::to_string(p.target);
      return c;
    }
  }
  const ExprValue v = evaluate_expression(expr, rules_);
  if (!v.ok) {
    c.why = v.why;
    return c;
  }
  c.parsed = true;
  std::map<int64_t, int> count;  // given minus used
  for (int64_t x : p.numbers) ++count[x];
  for (int64_t x : v.numbers) --count[x];
  const auto report = [&](auto pred, const char* what) {
    for (const auto& [x, k] : count) {
      if (!pred(x, k)) continue;
      c.why = "number " + std::to_string(x) + what;
      return true;
    }
    return false;
  };
  const auto given = [&](int64_t x) { return std::find(p.numbers.begin(), p.numbers.end(), x) != p.numbers.end(); };
  if (report([&](int64_t x, int k) { return k < 0 && !given(x); }, " is not one of the given numbers") ||
      report([&](int64_t x, int k) { return k < 0 && given(x); }, " used more times than given") ||
      report([&](int64_t, int k) { return k > 0; }, " not used"))
    return c;
  if (!(v.value == Rational{p.target, 1})) {
    c.why = "evaluates to " + v.value.str() + ", the target is " + std::to_string(p.target);
    return c;
  }
  c.correct = true;
  return c;
}

std::string CountdownTask::canonical(const Problem& p) const {
  std::vector<int64_t> sorted = p.numbers;
  std::sort(sorted.begin(), sorted.end());
  return name() + "\n" + join_numbers(sorted, ",") + "\n" + std::to_string(p.target);
}

}  // namespace r1::tasks
