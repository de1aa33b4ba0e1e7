// Reading safetensors: round trip, shards, and every malformed-file case named in the spine issue.
#include "io/safetensors.h"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>

#include "core/error.h"
#include "io/safetensors_writer.h"
#include "testutil.h"

namespace r1 {
namespace {

OwnedTensor f32_tensor(const std::string& name, std::vector<int64_t> shape, float start) {
  OwnedTensor t;
  t.name = name;
  t.shape = std::move(shape);
  int64_t n = 1;
  for (auto d : t.shape) n *= d;
  t.bytes.resize(size_t(n) * 4);
  for (int64_t i = 0; i < n; ++i) {
    const float v = start + float(i);
    std::memcpy(&t.bytes[size_t(i) * 4], &v, 4);
  }
  return t;
}

// A file with a hand-written header (data area of `data_bytes` zero bytes).
std::string raw_file(const std::string& header, size_t data_bytes) {
  std::string s(8, '\0');
  const uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) s[size_t(i)] = char((n >> (8 * i)) & 0xff);
  return s + header + std::string(data_bytes, '\0');
}

std::string error_in(const std::string& path, WeightMemory memory) {
  try {
    SafetensorsFile f(path, memory);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// The error for a malformed file; mapped and copied files must be refused with the same message.
std::string error_of(const std::string& path) {
  const std::string mapped = error_in(path, WeightMemory::Map);
  EXPECT_EQ(mapped, error_in(path, WeightMemory::Copy));
  return mapped;
}

TEST(Safetensors, RoundTripIsZeroCopy) {
  test::TempDir d;
  std::vector<OwnedTensor> ts = {f32_tensor("a", {2, 3}, 1.0f), f32_tensor("b", {4}, 10.0f)};
  write_checkpoint_tensors(d.path(), ts, 1);
  Checkpoint ck(d.path());
  const TensorView& a = ck.get("a", {2, 3});
  EXPECT_EQ(a.dtype, DType::F32);
  EXPECT_EQ(reinterpret_cast<const float*>(a.data)[5], 6.0f);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(a.data) % 8, 0u);  // data area aligned
  EXPECT_EQ(reinterpret_cast<const float*>(ck.get("b").data)[3], 13.0f);
  EXPECT_EQ(ck.names().size(), 2u);
}

TEST(Safetensors, CopiedWeightsHoldTheSameBytes) {
  test::TempDir d;
  std::vector<OwnedTensor> ts;
  for (int i = 0; i < 6; ++i) ts.push_back(f32_tensor("t" + std::to_string(i), {1000 + i}, float(i)));
  write_checkpoint_tensors(d.path(), ts, 2);
  const Checkpoint mapped(d.path(), WeightMemory::Map), copied(d.path(), WeightMemory::Copy);
  EXPECT_EQ(mapped.memory(), WeightMemory::Map);
  EXPECT_EQ(copied.memory(), WeightMemory::Copy);
  for (const auto& name : mapped.names()) {
    const TensorView &a = mapped.get(name), &b = copied.get(name);
    ASSERT_EQ(a.nbytes, b.nbytes);
    EXPECT_NE(a.data, b.data);
    EXPECT_EQ(std::memcmp(a.data, b.data, a.nbytes), 0) << name;
    EXPECT_EQ(reinterpret_cast<uintptr_t>(b.data) % 4096, reinterpret_cast<uintptr_t>(a.data) % 4096);  // same alignment
  }
  // A copy that would not fit in memory is refused up front.
  try {
    check_copy_fits(uint64_t(1) << 62);
    FAIL() << "a 4 EiB copy was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("use --load mmap"), std::string::npos) << e.what();
  }
  WeightMemory m;
  EXPECT_TRUE(weight_memory_from_name("copy", &m));
  EXPECT_EQ(m, WeightMemory::Copy);
  EXPECT_FALSE(weight_memory_from_name("huge", &m));
}

TEST(Safetensors, ShardsWithIndex) {
  test::TempDir d;
  std::vector<OwnedTensor> ts;
  for (int i = 0; i < 6; ++i) ts.push_back(f32_tensor("t" + std::to_string(i), {8}, float(i)));
  write_checkpoint_tensors(d.path(), ts, 3);
  EXPECT_TRUE(std::filesystem::exists(d / "model.safetensors.index.json"));
  EXPECT_TRUE(std::filesystem::exists(d / "model-00003-of-00003.safetensors"));
  Checkpoint ck(d.path());
  for (int i = 0; i < 6; ++i)
    EXPECT_EQ(reinterpret_cast<const float*>(ck.get("t" + std::to_string(i)).data)[0], float(i));
}

TEST(Safetensors, MissingTensorIsNamed) {
  test::TempDir d;
  write_checkpoint_tensors(d.path(), {f32_tensor("a", {2}, 0)}, 1);
  Checkpoint ck(d.path());
  try {
    ck.get("model.norm.weight");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("missing tensor 'model.norm.weight'"), std::string::npos);
  }
}

TEST(Safetensors, ShapeMismatchIsNamed) {
  test::TempDir d;
  write_checkpoint_tensors(d.path(), {f32_tensor("w", {2, 3}, 0)}, 1);
  Checkpoint ck(d.path());
  try {
    ck.get("w", {3, 2});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'w' has shape [2, 3] but the config implies [3, 2]"), std::string::npos);
  }
}

TEST(Safetensors, TruncatedFile) {
  test::TempDir d;
  write_checkpoint_tensors(d.path(), {f32_tensor("a", {64}, 0)}, 1);
  const std::string full = test::read_text(d / "model.safetensors");
  test::write_text(d / "model.safetensors", full.substr(0, full.size() - 100));
  EXPECT_NE(error_of(d / "model.safetensors").find("tensor 'a': data_offsets"), std::string::npos);
  test::write_text(d / "model.safetensors", full.substr(0, 5));
  EXPECT_NE(error_of(d / "model.safetensors").find("truncated"), std::string::npos);
}

TEST(Safetensors, HeaderLengthBeyondFile) {
  test::TempDir d;
  std::string s = raw_file("{}", 0);
  s[6] = 1;  // header length ~2^48
  test::write_text(d / "x.safetensors", s);
  EXPECT_NE(error_of(d / "x.safetensors").find("exceeds the file size"), std::string::npos);
}

TEST(Safetensors, OverlappingOffsets) {
  test::TempDir d;
  test::write_text(d / "x.safetensors",
                   raw_file(R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},)"
                            R"("b":{"dtype":"F32","shape":[4],"data_offsets":[8,24]}})",
                            24));
  const std::string e = error_of(d / "x.safetensors");
  EXPECT_NE(e.find("'a' and 'b' overlap"), std::string::npos) << e;
}

TEST(Safetensors, DtypeAndSizeMismatch) {
  test::TempDir d;
  test::write_text(d / "x.safetensors", raw_file(R"({"a":{"dtype":"BF16","shape":[4],"data_offsets":[0,16]}})", 16));
  EXPECT_NE(error_of(d / "x.safetensors").find("tensor 'a': holds 16 bytes but BF16 [4] needs 8"), std::string::npos);
  test::write_text(d / "y.safetensors", raw_file(R"({"a":{"dtype":"Q3","shape":[4],"data_offsets":[0,4]}})", 4));
  EXPECT_NE(error_of(d / "y.safetensors").find("unsupported dtype 'Q3'"), std::string::npos);
}

TEST(Safetensors, InvalidJsonHeader) {
  test::TempDir d;
  test::write_text(d / "x.safetensors", raw_file(R"({"a": [1, 2)", 0));
  EXPECT_NE(error_of(d / "x.safetensors").find("not valid JSON"), std::string::npos);
}

TEST(Safetensors, IndexNamingAMissingTensor) {
  test::TempDir d;
  write_checkpoint_tensors(d.path(), {f32_tensor("a", {2}, 0), f32_tensor("b", {2}, 0)}, 2);
  std::string idx = test::read_text(d / "model.safetensors.index.json");
  idx.replace(idx.find("\"a\""), 3, "\"z\"");
  test::write_text(d / "model.safetensors.index.json", idx);
  try {
    Checkpoint ck(d.path());
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("tensor 'z' is listed"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace r1
