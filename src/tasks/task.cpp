#include "tasks/task.h"

#include "core/error.h"

namespace r1::tasks {
namespace {

constexpr std::string_view kThinkOpen = "<think>", kThinkClose = "</think>";
constexpr std::string_view kAnswerOpen = "<answer>", kAnswerClose = "</answer>";

bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

size_t skip_ws(std::string_view s, size_t i) {
  while (i < s.size() && is_ws(s[i])) ++i;
  return i;
}

bool has_tag(std::string_view s) {
  for (std::string_view t : {kThinkOpen, kThinkClose, kAnswerOpen, kAnswerClose})
    if (s.find(t) != std::string_view::npos) return true;
  return false;
}

std::string_view trim_ws(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && is_ws(s[b])) ++b;
  while (e > b && is_ws(s[e - 1])) --e;
  return s.substr(b, e - b);
}

FormatParse fail(std::string why) {
  FormatParse r;
  r.why = std::move(why);
  return r;
}

}  // namespace

std::string Task::noisy_trace(const Problem&, Rng&, double) const {
  throw Error("task '" + name() + "' has no noisy worked solutions (noisy_trace)");
}

std::string_view format_instruction() {
  return "Think it through inside <think> </think> tags, then give only the final answer inside <answer> "
         "</answer> tags.";
}

FormatParse parse_r1_format(std::string_view completion, const FormatSpec& spec) {
  // Work on "<think>" + completion when the prompt opened the think block.
  std::string buf;
  std::string_view s = completion;
  if (spec.think_prefilled) {
    buf.reserve(completion.size() + kThinkOpen.size());
    buf.append(kThinkOpen);
    buf.append(completion);
    s = buf;
  }
  size_t i = skip_ws(s, 0);
  if (s.substr(i, kThinkOpen.size()) != kThinkOpen) return fail("does not start with <think>");
  i += kThinkOpen.size();
  const size_t think_end = s.find(kThinkClose, i);
  if (think_end == std::string_view::npos) return fail("no </think>");
  const std::string_view think = s.substr(i, think_end - i);
  if (has_tag(think)) return fail("a tag inside <think>…</think>");
  i = skip_ws(s, think_end + kThinkClose.size());
  if (s.substr(i, kAnswerOpen.size()) != kAnswerOpen) return fail("no <answer> right after </think>");
  i += kAnswerOpen.size();
  const size_t answer_end = s.find(kAnswerClose, i);
  if (answer_end == std::string_view::npos) return fail("no </answer>");
  const std::string_view answer = s.substr(i, answer_end - i);
  if (has_tag(answer)) return fail("a tag inside <answer>…</answer>");
  if (trim_ws(answer).empty()) return fail("empty answer");
  i = skip_ws(s, answer_end + kAnswerClose.size());
  if (i < s.size()) {
    bool matched = false;
    for (const std::string& m : spec.end_markers) {
      if (!m.empty() && s.substr(i, m.size()) == m) {
        i = skip_ws(s, i + m.size());
        matched = true;
        break;
      }
    }
    if (!matched || i < s.size()) return fail("text after </answer>");
  }
  FormatParse r;
  r.ok = true;
  r.think = std::string(think);
  r.answer = std::string(trim_ws(answer));
  return r;
}

std::string Task::canonical(const Problem& p) const { return name() + "\n" + p.prompt; }

Reward Task::score(const Problem& p, std::string_view completion) const {
  Reward r;
  const FormatParse f = parse_r1_format(completion, reward_.format);
  if (!f.ok) {
    r.why = "format: " + f.why;
  } else {
    r.format = 1;
    r.answer = f.answer;
    const AnswerCheck c = check_answer(p, f.answer);
    r.parsed = c.parsed;
    r.accuracy = c.correct ? 1 : 0;
    if (!c.correct) r.why = "answer: " + c.why;
  }
  r.total = reward_.accuracy_weight * r.accuracy + reward_.format_weight * r.format;
  return r;
}

int64_t uniform_int(Rng& rng, int64_t lo, int64_t hi) {
  require(lo <= hi, "uniform_int: empty range [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  const uint64_t span = uint64_t(hi) - uint64_t(lo);  // hi - lo, exact in unsigned arithmetic
  if (span == UINT64_MAX) return int64_t(rng.next());
  const uint64_t n = span + 1;
  const uint64_t limit = UINT64_MAX - (UINT64_MAX % n);  // draws >= limit would bias the low values
  uint64_t x;
  do x = rng.next();
  while (x >= limit);
  return int64_t(uint64_t(lo) + x % n);
}

}  // namespace r1::tasks
