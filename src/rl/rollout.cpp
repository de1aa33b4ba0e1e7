#include "rl/rollout.h"

#include "core/error.h"

namespace r1::rl {

std::string prompt_text(const tasks::Problem& p) { return "<｜User｜>" + p.prompt + "<｜Assistant｜>"; }

std::vector<int32_t> prompt_ids(const tok::Tokenizer& t, const tasks::Problem& p) {
  return t.encode(prompt_text(p), /*add_bos=*/true);
}

std::vector<Rollout> rollout(const Model& m, const tok::Tokenizer& t, const tasks::Task& task,
                             const std::vector<tasks::Problem>& problems, BatchSampleParams sp) {
  require(t.eos_id() >= 0, "rollout: the tokenizer has no EOS token");
  sp.stop = {t.eos_id()};
  std::vector<std::vector<int32_t>> prompts;
  for (const auto& p : problems) prompts.push_back(prompt_ids(t, p));
  std::vector<Rollout> out;
  for (auto& c : sample_batch(m, prompts, sp)) {
    Rollout r;
    r.problem = c.prompt;
    r.finished = c.finished;
    r.text = t.decode(c.tokens);
    r.reward = task.score(problems[size_t(c.prompt)], r.text);
    r.tokens = std::move(c.tokens);
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace r1::rl
