#include "tasks/arithmetic.h"

#include "core/error.h"
#include "tasks/expr.h"

namespace r1::tasks {
namespace {

constexpr int64_t kMaxOperand = 1000000000;  // 10^9: products stay below 10^18

std::string shown(int64_t x) {
  std::string s = std::to_string(x);
  if (x < 0) {  // appended rather than "(" + s + ")": GCC 12 warns falsely (-Wrestrict) on the latter
    s.insert(s.begin(), '(');
    s.push_back(')');
  }
  return s;
}

// 5083 -> {5000, 80, 3}; 0 -> {0}. x >= 0.
std::vector<int64_t> place_parts(int64_t x) {
  std::vector<int64_t> parts;
  int64_t scale = 1;
  for (int64_t r = x; r > 0; r /= 10, scale *= 10)
    if (r % 10) parts.insert(parts.begin(), (r % 10) * scale);
  if (parts.empty()) parts.push_back(0);
  return parts;
}

int64_t compute(int64_t a, char op, int64_t b) {
  switch (op) {
    case '+': return a + b;
    case '-': return a - b;
    case '*': return a * b;
  }
  throw Error(std::string("arithmetic: unknown op '") + op + "'");
}

}  // namespace

ArithmeticTask::ArithmeticTask(ArithmeticOptions opt) : Task(opt.reward), opt_(std::move(opt)) {
  require(!opt_.ops.empty() && opt_.ops.find_first_not_of("+-*") == std::string::npos,
          "arithmetic: ops must be a non-empty subset of \"+-*\", got \"" + opt_.ops + "\"");
  require(opt_.min_operand <= opt_.max_operand, "arithmetic: min_operand > max_operand");
  require(opt_.min_operand >= -kMaxOperand && opt_.max_operand <= kMaxOperand,
          "arithmetic: operands must lie in [-1000000000, 1000000000]");
}

Problem ArithmeticTask::make_problem(int64_t a, char op, int64_t b) const {
  require(op == '+' || op == '-' || op == '*', std::string("arithmetic: unknown op '") + op + "'");
  require(a >= -kMaxOperand && a <= kMaxOperand && b >= -kMaxOperand && b <= kMaxOperand,
          "arithmetic: operand out of [-1000000000, 1000000000]");
  Problem p;
  p.task = name();
  p.numbers = {a, b};
  p.op = std::string(1, op);
  p.target = compute(a, op, b);
  p.prompt = opt_.compact_prompt ? shown(a) + op + shown(b)
                                 : "What is " + shown(a) + op + shown(b) + "? " + std::string(format_instruction());
  p.answer_hint = std::to_string(p.target);
  return p;
}

Problem ArithmeticTask::sample(Rng& rng) const {
  const int64_t a = uniform_int(rng, opt_.min_operand, opt_.max_operand);
  const char op = opt_.ops[size_t(uniform_int(rng, 0, int64_t(opt_.ops.size()) - 1))];
  const int64_t b = uniform_int(rng, opt_.min_operand, opt_.max_operand);
  return make_problem(a, op, b);
}

std::string ArithmeticTask::solution_trace(const Problem& p) const { return trace(p, nullptr, 0.0); }

std::string ArithmeticTask::noisy_trace(const Problem& p, Rng& rng, double slip) const {
  require(slip >= 0.0 && slip <= 1.0, "arithmetic: slip probability must be in [0, 1]");
  return trace(p, &rng, slip);
}

std::string ArithmeticTask::trace(const Problem& p, Rng* rng, double slip) const {
  require(p.numbers.size() == 2 && p.op.size() == 1, "arithmetic: solution_trace needs numbers {a, b} and an op");
  const int64_t a = p.numbers[0], b = p.numbers[1];
  char op = p.op[0];
  // A slip: with probability `slip` a step's result is off by 10 either way (a dropped or doubled carry), and
  // the rest of the working continues from the wrong value, as a person's would.
  auto slipped = [&](int64_t v) {
    if (!rng || slip <= 0.0 || double(rng->uniform()) >= slip) return v;
    return v + ((rng->next() & 1) ? 10 : -10);
  };
  int64_t result = compute(a, op, b);
  std::vector<std::string> lines;
  const int64_t mag = b < 0 ? -b : b;
  if (op == '+' || op == '-') {
    if (b < 0) {  // a + (-m) = a - m; a - (-m) = a + m
      const char eff = op == '+' ? '-' : '+';
      lines.push_back(std::to_string(a) + op + shown(b) + "=" + std::to_string(a) + eff + std::to_string(mag));
      op = eff;
    }
    int64_t acc = a;
    for (int64_t part : place_parts(mag)) {
      const int64_t next = slipped(op == '+' ? acc + part : acc - part);
      lines.push_back(std::to_string(acc) + op + std::to_string(part) + "=" + std::to_string(next));
      acc = next;
    }
    result = acc;  // = a op b unless a step slipped
  } else {
    if (b < 0) lines.push_back(std::to_string(a) + "*" + shown(b) + "=-(" + std::to_string(a) + "*" +
                               std::to_string(mag) + ")");
    const std::vector<int64_t> parts = place_parts(mag);
    std::string sum;
    int64_t total = 0;
    for (int64_t part : parts) {
      const int64_t prod = slipped(a * part);
      lines.push_back(std::to_string(a) + "*" + std::to_string(part) + "=" + std::to_string(prod));
      if (!sum.empty()) sum += '+';
      sum += shown(prod);
      total += prod;
    }
    if (parts.size() > 1) lines.push_back(sum + "=" + std::to_string(total));
    if (b < 0) lines.push_back("-(" + std::to_string(total) + ")=" + std::to_string(-total));
    result = b < 0 ? -total : total;
  }
  std::string think;
  for (const std::string& l : lines) think += (think.empty() ? "" : "\n") + l;
  return "<think>" + think + "</think><answer>" + std::to_string(result) + "</answer>";
}

AnswerCheck ArithmeticTask::check_answer(const Problem& p, std::string_view answer) const {
  AnswerCheck c;
  const std::optional<int64_t> v = parse_strict_int(answer);
  if (!v) {
    c.why = "not a plain integer: '" + std::string(answer.substr(0, 32)) + "'";
    return c;
  }
  c.parsed = true;
  c.correct = *v == p.target;
  if (!c.correct) c.why = std::to_string(*v) + " is not " + std::to_string(p.target);
  return c;
}

std::string ArithmeticTask::canonical(const Problem& p) const {
  std::string s = name() + "\n";
  if (p.numbers.size() == 2) s += std::to_string(p.numbers[0]) + p.op + std::to_string(p.numbers[1]);
  return s;
}

}  // namespace r1::tasks
