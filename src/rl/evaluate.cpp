#include "rl/evaluate.h"

#include "rl/rollout.h"

namespace r1::rl {

nlohmann::json EvalResult::to_json() const {
  return {{"problems", problems}, {"k", k}, {"pass@1", pass1}, {"pass@k", passk}, {"format_rate", format_rate},
          {"mean_length", mean_length}, {"finished_rate", finished_rate}, {"greedy_accuracy", greedy}};
}

EvalResult evaluate(const Model& m, const tok::Tokenizer& t, const tasks::Task& task,
                    const std::vector<tasks::Problem>& problems, const EvalParams& p) {
  EvalResult r;
  r.problems = int64_t(problems.size());
  r.k = p.k;
  if (problems.empty()) return r;
  BatchSampleParams sp;
  sp.n = p.k;
  sp.max_tokens = p.max_tokens;
  sp.temperature = p.temperature;
  sp.top_p = p.top_p;
  sp.seed = p.seed;
  const auto rs = rollout(m, t, task, problems, sp);
  std::vector<int> any(problems.size(), 0);
  for (const Rollout& x : rs) {
    r.pass1 += x.reward.accuracy;
    r.format_rate += x.reward.format;
    r.mean_length += double(x.tokens.size());
    r.finished_rate += x.finished ? 1 : 0;
    if (x.reward.accuracy > 0) any[size_t(x.problem)] = 1;
  }
  const double n = double(rs.size());
  r.pass1 /= n, r.format_rate /= n, r.mean_length /= n, r.finished_rate /= n;
  for (int a : any) r.passk += a;
  r.passk /= double(problems.size());
  if (p.greedy) {
    sp.n = 1;
    sp.temperature = 0.0f;
    for (const Rollout& x : rollout(m, t, task, problems, sp)) r.greedy += x.reward.accuracy;
    r.greedy /= double(problems.size());
  }
  return r;
}

}  // namespace r1::rl
