// Bad input through the CLI: one clear "error: ..." line naming the file, tensor or key; non-zero exit;
// never a crash (these also run under the ASan+UBSan build).
#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>

#include "io/safetensors.h"
#include "io/safetensors_writer.h"
#include "testutil.h"

namespace fs = std::filesystem;

namespace r1 {
namespace {

class BadInput : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(test::run_r1("init --config tiny-v3 --out " + model() + " --seed 3").exit_code, 0);
  }
  std::string model() const { return dir_ / "m"; }
  std::string file() const { return model() + "/model.safetensors"; }
  // Runs `r1 logits` on the model and checks the one-line error.
  void expect_error(const std::string& needle, const std::string& tokens = "0,1,2") const {
    const auto r = test::run_r1("logits --model " + model() + " --tokens " + tokens);
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_TRUE(r.out.empty());
    ASSERT_FALSE(r.err.empty());
    EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << r.err;
    EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << "more than one line: " << r.err;
    EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
  }
  // Rewrites the checkpoint through `edit`, which may drop or change tensors.
  void rewrite(const std::function<void(std::vector<OwnedTensor>&)>& edit) {
    std::vector<OwnedTensor> ts;
    {
      SafetensorsFile f(file());
      for (const auto& [name, t] : f.tensors()) ts.push_back({name, t.dtype, t.shape, {t.data, t.data + t.nbytes}});
    }
    edit(ts);
    write_checkpoint_tensors(model(), ts, 1);
  }
  void edit_config(const std::function<void(nlohmann::json&)>& edit) {
    auto j = nlohmann::json::parse(test::read_text(model() + "/config.json"));
    edit(j);
    test::write_text(model() + "/config.json", j.dump());
  }
  test::TempDir dir_;
};

TEST_F(BadInput, TruncatedSafetensors) {
  const std::string s = test::read_text(file());
  test::write_text(file(), s.substr(0, s.size() / 2));
  expect_error("model.safetensors: tensor '");
}

TEST_F(BadInput, HeaderLengthBeyondFile) {
  std::string s = test::read_text(file());
  s[5] = char(0x7f);
  test::write_text(file(), s);
  expect_error("exceeds the file size");
}

TEST_F(BadInput, OverlappingOffsets) {
  std::string s = test::read_text(file());
  // Point the second tensor's data at the first one's bytes.
  uint64_t n = 0;
  for (int i = 0; i < 8; ++i) n |= uint64_t(uint8_t(s[size_t(i)])) << (8 * i);
  auto h = nlohmann::ordered_json::parse(s.substr(8, n));
  auto it = h.begin();
  if (it.key() == "__metadata__") ++it;
  const auto first = (*it)["data_offsets"];
  ++it;
  const uint64_t len = (*it)["data_offsets"][1].get<uint64_t>() - (*it)["data_offsets"][0].get<uint64_t>();
  (*it)["data_offsets"] = {first[0].get<uint64_t>(), first[0].get<uint64_t>() + len};
  std::string nh = h.dump();
  nh.resize(n, ' ');
  ASSERT_EQ(nh.size(), n);
  test::write_text(file(), s.substr(0, 8) + nh + s.substr(8 + n));
  expect_error("overlap");
}

TEST_F(BadInput, DtypeMismatch) {
  rewrite([](std::vector<OwnedTensor>& ts) {
    for (auto& t : ts)
      if (t.name == "model.layers.0.self_attn.o_proj.weight") {  // BF16 -> I8 with the same shape
        t.dtype = DType::I8;
        t.bytes.resize(t.bytes.size() / 2);
      }
  });
  expect_error("tensor 'model.layers.0.self_attn.o_proj.weight' has dtype I8");
}

TEST_F(BadInput, ShapeMismatch) {
  rewrite([](std::vector<OwnedTensor>& ts) {
    for (auto& t : ts)
      if (t.name == "model.layers.0.self_attn.o_proj.weight") std::swap(t.shape[0], t.shape[1]);
  });
  expect_error("tensor 'model.layers.0.self_attn.o_proj.weight' has shape [128, 200] but the config implies [200, 128]");
}

TEST_F(BadInput, MissingTensor) {
  rewrite([](std::vector<OwnedTensor>& ts) {
    std::erase_if(ts, [](const OwnedTensor& t) { return t.name == "model.layers.1.mlp.gate.e_score_correction_bias"; });
  });
  expect_error("missing tensor 'model.layers.1.mlp.gate.e_score_correction_bias'");
}

TEST_F(BadInput, MissingConfigKey) {
  edit_config([](nlohmann::json& j) { j.erase("kv_lora_rank"); });
  expect_error("config.json: key 'kv_lora_rank' is missing");
}

TEST_F(BadInput, ContradictoryConfigKey) {
  edit_config([](nlohmann::json& j) { j["n_group"] = 3; });
  expect_error("config.json: key 'n_group' must divide n_routed_experts (16)");
}

TEST_F(BadInput, MissingConfigFile) {
  fs::remove(model() + "/config.json");
  expect_error("config.json: cannot open");
}

TEST_F(BadInput, TokenIdBeyondVocab) {
  expect_error("token id 640 at position 1 is out of range (vocab_size 640)", "0,640");
  expect_error("token id -3", "0,-3");
}

TEST_F(BadInput, MalformedTokenList) { expect_error("--tokens: 'x' is not a token id", "0,x"); }

TEST_F(BadInput, UnknownInitConfig) {
  const auto r = test::run_r1("init --config tiny-v9 --out " + (dir_ / "z"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("unknown config name 'tiny-v9'"), std::string::npos);
}

}  // namespace
}  // namespace r1
