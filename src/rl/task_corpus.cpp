#include "rl/task_corpus.h"

#include "core/error.h"
#include "rl/rollout.h"
#include "tasks/split.h"

namespace r1::rl {

std::vector<int32_t> task_corpus_ids(const tok::Tokenizer& t, const tasks::Task& task, int64_t problems, double slip,
                                     uint64_t seed, CorpusStats* stats) {
  require(t.bos_id() >= 0 && t.eos_id() >= 0, "task corpus: the tokenizer needs BOS and EOS tokens");
  Rng rng(seed);
  std::vector<int32_t> ids;
  CorpusStats st;
  for (int64_t i = 0; i < problems; ++i) {
    const tasks::Problem p = tasks::sample_split(task, rng, tasks::Split::train);
    const std::string trace = slip > 0 ? task.noisy_trace(p, rng, slip) : task.solution_trace(p);
    if (task.score(p, trace).accuracy == 0) ++st.wrong;
    const auto d = t.encode(prompt_text(p) + trace, /*add_bos=*/true);
    ids.insert(ids.end(), d.begin(), d.end());
    ids.push_back(t.eos_id());
    ++st.documents;
  }
  st.tokens = int64_t(ids.size());
  if (stats) *stats = st;
  return ids;
}

std::vector<int32_t> completion_corpus_ids(const tok::Tokenizer& t, const std::vector<tasks::Problem>& problems,
                                           const std::vector<std::vector<int32_t>>& completions,
                                           const std::vector<int64_t>& problem_of) {
  require(completions.size() == problem_of.size(), "completion corpus: one problem index per completion");
  std::vector<int32_t> ids;
  for (size_t i = 0; i < completions.size(); ++i) {
    const auto p = prompt_ids(t, problems[size_t(problem_of[i])]);
    ids.insert(ids.end(), p.begin(), p.end());
    ids.insert(ids.end(), completions[i].begin(), completions[i].end());
    if (completions[i].empty() || completions[i].back() != t.eos_id()) ids.push_back(t.eos_id());
  }
  return ids;
}

}  // namespace r1::rl
