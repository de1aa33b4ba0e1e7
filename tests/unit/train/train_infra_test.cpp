// AdamW, the LR schedule, token files and the batch loader, SVG charts, the character-level tokenizer.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "core/error.h"
#include "testutil.h"
#include "tokenizer/byte_tokenizer_writer.h"
#include "tokenizer/tokenizer.h"
#include "train/adamw.h"
#include "train/schedule.h"
#include "train/svg_plot.h"
#include "train/token_data.h"

namespace r1::train {
namespace {

TEST(AdamW, MatchesTheUpdateRuleInDouble) {
  // Two segments: one decayed, one not; a third frozen.
  std::vector<float> w = {0.5f, -1.0f, 2.0f, 0.25f, 3.0f}, g;
  std::vector<double> wd(w.begin(), w.end()), m(5, 0.0), v(5, 0.0);
  const std::vector<Segment> segs = {{0, 3, true, true}, {3, 1, false, true}, {4, 1, true, false}};
  AdamWOptions o;
  o.weight_decay = 0.1;
  AdamW opt(5, o);
  for (int t = 1; t <= 4; ++t) {
    g = {0.1f * float(t), -0.2f, 0.05f, 1.0f / float(t), 7.0f};
    const double lr = 0.01 * t;
    opt.step(w.data(), g.data(), segs, lr);
    for (int i = 0; i < 4; ++i) {
      m[size_t(i)] = 0.9 * m[size_t(i)] + 0.1 * g[size_t(i)];
      v[size_t(i)] = 0.95 * v[size_t(i)] + 0.05 * double(g[size_t(i)]) * g[size_t(i)];
      if (i < 3) wd[size_t(i)] -= lr * 0.1 * wd[size_t(i)];
      const double mh = m[size_t(i)] / (1 - std::pow(0.9, t)), vh = v[size_t(i)] / (1 - std::pow(0.95, t));
      wd[size_t(i)] -= lr * mh / (std::sqrt(vh) + 1e-8);
    }
  }
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(w[size_t(i)], wd[size_t(i)], 1e-6 * (1 + std::fabs(wd[size_t(i)]))) << i;
  EXPECT_EQ(w[4], 3.0f);  // frozen segment untouched
  EXPECT_EQ(opt.steps(), 4);
}

TEST(AdamW, ClipGradNormScalesToTheBound) {
  std::vector<float> g = {3.0f, 4.0f, 100.0f};
  const std::vector<Segment> segs = {{0, 2, true, true}, {2, 1, true, false}};
  EXPECT_DOUBLE_EQ(clip_grad_norm(g.data(), segs, 1.0), 5.0);  // the frozen 100 does not count
  EXPECT_NEAR(g[0], 0.6f, 1e-7);
  EXPECT_NEAR(g[1], 0.8f, 1e-7);
  EXPECT_EQ(g[2], 100.0f);
  EXPECT_NEAR(clip_grad_norm(g.data(), segs, 0.0), 1.0, 1e-7);  // 0: measure only
}

TEST(LrSchedule, WarmupThenCosine) {
  const LrSchedule s{1.0, 0.1, 10, 110};
  EXPECT_DOUBLE_EQ(s.at(0), 0.1);
  EXPECT_DOUBLE_EQ(s.at(9), 1.0);
  EXPECT_DOUBLE_EQ(s.at(10), 1.0);
  EXPECT_NEAR(s.at(60), 0.55, 1e-12);  // halfway down the cosine
  EXPECT_DOUBLE_EQ(s.at(110), 0.1);
  EXPECT_DOUBLE_EQ(s.at(500), 0.1);
}

TEST(TokenData, RoundTripAndBadFiles) {
  test::TempDir d;
  std::vector<int32_t> ids(1001);
  for (size_t i = 0; i < ids.size(); ++i) ids[i] = int32_t(i % 97);
  const std::string p = d.path() + "/a.tok";
  write_token_file(p, ids, 97);
  const TokenFile f(p);
  ASSERT_EQ(f.size(), 1001);
  EXPECT_EQ(f.vocab_size(), 97);
  EXPECT_EQ(f.data()[500], 500 % 97);
  EXPECT_THROW(write_token_file(d.path() + "/b.tok", {1, 2, 97}, 97), Error);  // id outside the vocabulary
  // Truncated: drop the last 2 bytes.
  const std::string bytes = test::read_text(p);
  std::ofstream(d.path() + "/t.tok", std::ios::binary) << bytes.substr(0, bytes.size() - 2);
  try {
    TokenFile t(d.path() + "/t.tok");
    FAIL() << "truncated file accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("truncated"), std::string::npos) << e.what();
  }
  std::ofstream(d.path() + "/m.tok", std::ios::binary) << "NOTATOKENFILE-AT-ALL-xxxxxxxx";
  EXPECT_THROW(TokenFile(d.path() + "/m.tok"), Error);
}

TEST(BatchLoader, ShuffledDeterministicAndSplitAcrossRanks) {
  test::TempDir d;
  std::vector<int32_t> ids(2000);
  for (size_t i = 0; i < ids.size(); ++i) ids[i] = int32_t(i);  // a token's id is its position
  write_token_file(d.path() + "/a.tok", ids, 2000);
  const TokenFile f(d.path() + "/a.tok");
  const BatchLoader one(f, 4, 16, 7), again(f, 4, 16, 7);
  const Batch b = one.get(3);
  EXPECT_EQ(b.tokens, again.get(3).tokens);  // deterministic
  for (int64_t r = 0; r < 4; ++r)
    for (int64_t s = 0; s + 1 < 16; ++s) EXPECT_EQ(b.targets[size_t(r * 16 + s)], b.tokens[size_t(r * 16 + s + 1)]);
  // Every window once per epoch.
  std::vector<int> seen(size_t(one.windows()), 0);
  for (int64_t step = 0; step * 4 < one.windows(); ++step) {
    const Batch x = one.get(step);
    for (int64_t r = 0; r < 4 && step * 4 + r < one.windows(); ++r) ++seen[size_t(x.tokens[size_t(r * 16)] / 16)];
  }
  for (int s : seen) EXPECT_EQ(s, 1);
  // Two ranks of batch 2 = one process of batch 4.
  const BatchLoader r0(f, 2, 16, 7, 0, 2), r1_(f, 2, 16, 7, 1, 2);
  std::vector<int32_t> joined = r0.get(5).tokens;
  const auto t1 = r1_.get(5).tokens;
  joined.insert(joined.end(), t1.begin(), t1.end());
  EXPECT_EQ(joined, one.get(5).tokens);
}

TEST(SvgPlot, WritesAPolylinePerSeries) {
  Chart c{"loss <train>", "step", "loss", {{"main", {0, 1, 2}, {3.0, 2.0, 1.5}}, {"mtp", {0, 1, 2}, {3.5, 2.5, NAN}}}};
  const std::string s = render_svg(c);
  EXPECT_EQ(s.rfind("<svg", 0), 0u);
  EXPECT_NE(s.find("loss &lt;train&gt;"), std::string::npos);  // escaped
  size_t n = 0;
  for (size_t p = s.find("<polyline"); p != std::string::npos; p = s.find("<polyline", p + 1)) ++n;
  EXPECT_EQ(n, 2u);
  EXPECT_NE(s.find("</svg>"), std::string::npos);
}

TEST(CharTokenizer, OneTokenPerByteAndAnswerTags) {
  test::TempDir d;
  EXPECT_EQ(tok::write_char_tokenizer(d.path()), 265);
  const tok::Tokenizer t(d.path());
  const auto ids = t.encode("<think>12+3</think><answer>15</answer>");
  // <think>, 4 bytes "12+3", </think>, <answer>, 2 bytes "15", </answer>
  ASSERT_EQ(ids.size(), 10u);
  EXPECT_EQ(ids[0], 5);
  EXPECT_EQ(ids[1], 7 + '1');
  EXPECT_EQ(ids[5], 6);
  EXPECT_EQ(ids[6], 263);
  EXPECT_EQ(ids[9], 264);
  EXPECT_EQ(t.decode(ids), "<think>12+3</think><answer>15</answer>");
}

}  // namespace
}  // namespace r1::train
