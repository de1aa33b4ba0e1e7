// Quantizers (f32 rows -> q8 / q4 blocks), the block layout, quantize_weight, loading q8/q4 tensors from a
// safetensors file (zero copy, every malformed case an r1::Error naming the tensor and file), and
// quantize_checkpoint on a tiny FP8 sharded checkpoint.
#include "quant/quantize.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/rng.h"
#include "io/safetensors.h"
#include "io/safetensors_writer.h"
#include "kernels/ref/quant_ref.h"
#include "model/quantize_checkpoint.h"
#include "model/transformer.h"
#include "testutil.h"

namespace r1 {
namespace {

const double kU = std::ldexp(1.0, -24);

std::vector<float> random_vec(Rng& rng, int64_t n, float a) {
  std::vector<float> v(static_cast<size_t>(n));
  for (auto& x : v) x = rng.symmetric(a);
  return v;
}

// Every value within half a step of its block's stored scale (plus the f32 rounding of x / d: |x / d| <= 128
// ulps-worth, and of d * q). scale(b): block b's scale.
template <typename Block, typename Deq, typename Scale>
void expect_half_step(const std::vector<float>& x, const std::vector<Block>& q, Deq dequant, Scale scale, const char* what) {
  const int64_t n = int64_t(x.size());
  std::vector<float> y(x.size());
  dequant(q.data(), n, y.data());
  for (int64_t j = 0; j < n; ++j) {
    const double d = std::fabs(scale(j / kQBlock));
    EXPECT_LE(std::fabs(double(x[size_t(j)]) - y[size_t(j)]), d * (0.5 + 512 * kU)) << what << " n " << n << " j " << j;
  }
}

TEST(Quantize, Q8RoundTripWithinHalfAStepAndScaleIsTight) {
  Rng rng(1);
  for (int64_t n : {1, 5, 32, 33, 100, 4096}) {
    for (float a : {1e-3f, 0.05f, 1.0f, 300.0f}) {
      const std::vector<float> x = random_vec(rng, n, a);
      std::vector<BlockQ8> q(size_t(qblocks_per_row(n)));
      quantize_row_q8(x.data(), n, q.data());
      expect_half_step(x, q, ref::dequant_q8, [&](int64_t b) { return f16_to_f32(q[size_t(b)].d); }, "q8");
      for (int64_t b = 0; b < qblocks_per_row(n); ++b) {  // d is the smallest f16 >= max|x| / 127
        float amax = 0.0f;
        for (int64_t j = b * kQBlock; j < std::min(n, (b + 1) * kQBlock); ++j) amax = std::fmax(amax, std::fabs(x[size_t(j)]));
        const float d = f16_to_f32(q[size_t(b)].d);
        EXPECT_GE(d, amax / 127.0f);
        EXPECT_LT(f16_to_f32(uint16_t(q[size_t(b)].d - 1)), amax / 127.0f);
      }
    }
  }
}

TEST(Quantize, Q4RoundTripWithinHalfAStepAndSearchBeatsTheBasicScale) {
  Rng rng(2);
  double err_ours = 0.0, err_basic = 0.0;
  for (int rep = 0; rep < 200; ++rep) {
    std::vector<float> x = random_vec(rng, 64, 0.1f);
    for (auto& v : x) v = v * std::fabs(v) * 10.0f;  // heavier tails than uniform, like real weights
    std::vector<uint8_t> q(2 * kQ4BlockBytes);
    quantize_row_q4(x.data(), 64, q.data());
    expect_half_step(x, q, ref::dequant_q4, [&](int64_t b) { return ref::q4_scale(q.data(), 2, b); }, "q4");
    std::vector<float> y(64);
    ref::dequant_q4(q.data(), 64, y.data());
    for (int b = 0; b < 2; ++b) {
      // The basic choice, q4_0 style: the extreme of larger magnitude maps to -8 exactly (d = -extreme / 8).
      float ext = 0.0f;
      for (int i = 0; i < kQBlock; ++i)
        if (std::fabs(x[size_t(b * kQBlock + i)]) > std::fabs(ext)) ext = x[size_t(b * kQBlock + i)];
      const float d = -ext / 8.0f;
      double eb = 0.0, eo = 0.0;
      for (int i = 0; i < kQBlock; ++i) {
        const float v = x[size_t(b * kQBlock + i)];
        const int c = std::min(7, std::max(-8, int(std::nearbyint(v / d))));
        eb += (v - d * c) * (v - d * c);
        eo += (v - y[size_t(b * kQBlock + i)]) * (v - y[size_t(b * kQBlock + i)]);
      }
      err_basic += eb;
      err_ours += eo;
    }
  }
  EXPECT_LT(err_ours, err_basic);  // the candidate search pays for itself on average
}

TEST(Quantize, SpecialBlocks) {
  std::vector<float> x(40, 0.0f);  // all zero: scale 0, every weight decodes to 0
  std::vector<BlockQ8> q8(2);
  std::vector<uint8_t> q4(2 * kQ4BlockBytes);
  quantize_row_q8(x.data(), 40, q8.data());
  quantize_row_q4(x.data(), 40, q4.data());
  std::vector<float> y(40, 1.0f);
  ref::dequant_q8(q8.data(), 40, y.data());
  for (float v : y) EXPECT_EQ(v, 0.0f);
  ref::dequant_q4(q4.data(), 40, y.data());
  for (float v : y) EXPECT_EQ(v, 0.0f);
  x[3] = -2.5f;  // one value sets the scale: q8 codes it as -127 at d = the f16 just above 2.5 / 127,
  x[35] = 1.0f;  // so it comes back within one f16 ulp (2^-10 relative). 35: the partial second block.
  quantize_row_q8(x.data(), 40, q8.data());
  quantize_row_q4(x.data(), 40, q4.data());
  ref::dequant_q8(q8.data(), 40, y.data());
  EXPECT_EQ(q8[0].q[3], -127);
  EXPECT_NEAR(y[3], -2.5f, 2.5f * std::ldexp(1.0f, -10));
  EXPECT_NEAR(y[35], 1.0f, std::ldexp(1.0f, -10));
  ref::dequant_q4(q4.data(), 40, y.data());
  EXPECT_NEAR(y[3], -2.5f, std::fabs(ref::q4_scale(q4.data(), 2, 0)) / 2);
  EXPECT_EQ(ref::q4_value(q4.data(), 2, 0, 3), -8);  // the extreme goes to the -8 side
  EXPECT_EQ(y[0], 0.0f);
  for (int i = 8; i < kQBlock; ++i) EXPECT_EQ(q8[1].q[i], 0) << "padding";
  x[7] = NAN;
  EXPECT_THROW(quantize_row_q8(x.data(), 40, q8.data()), Error);
  x[7] = INFINITY;
  EXPECT_THROW(quantize_row_q4(x.data(), 40, q4.data()), Error);
  x[7] = 1e7f;  // scale beyond f16
  EXPECT_THROW(quantize_row_q4(x.data(), 40, q4.data()), Error);
}

TEST(Quantize, Q4NibbleLayoutAndSizes) {
  // Rows of 11 blocks: a group of 8 (four pairs) then a group of 3 (one pair and a single block). Block b holds
  // codes (j + b) % 16 - 8 at scale 1 + b / 8 (exact in f16), so every code and scale is known.
  const int64_t nb = 11, n = nb * kQBlock;
  std::vector<float> x(static_cast<size_t>(n));
  for (int64_t b = 0; b < nb; ++b)
    for (int j = 0; j < kQBlock; ++j) {
      // -8 at j = (8 - b) mod 16 sets the scale: the extreme of larger magnitude goes to the -8 side.
      x[size_t(b * kQBlock + j)] = float((j + b) % 16 - 8) * (1.0f + float(b) / 8.0f);
    }
  std::vector<uint8_t> q(static_cast<size_t>(quant_row_bytes(DType::Q4, n)));
  ASSERT_EQ(q.size(), size_t(nb * 18));
  quantize_row_q4(x.data(), n, q.data());
  auto h16 = [&](size_t off) { return f16_to_f32(uint16_t(q[off] | (q[off + 1] << 8))); };
  for (int64_t b = 0; b < nb; ++b) {
    ASSERT_EQ(ref::q4_scale(q.data(), nb, b), 1.0f + float(b) / 8.0f) << b;
    for (int j = 0; j < kQBlock; ++j) ASSERT_EQ(ref::q4_value(q.data(), nb, b, j), (j + b) % 16 - 8) << b << " " << j;
  }
  // The bytes themselves: group 0 = 8 scales then 4 pairs of 32 bytes; group 1 (at 144) = 3 scales, one pair,
  // then the single block's 16 bytes (weight j low, j + 16 high).
  for (int i = 0; i < 8; ++i) EXPECT_EQ(h16(size_t(2 * i)), 1.0f + float(i) / 8.0f);
  for (int j = 0; j < 32; ++j) {  // pair 1 of group 0: blocks 2 (low nibbles) and 3 (high)
    EXPECT_EQ(q[size_t(16 + 32 + j)] & 0x0f, (j + 2) % 16);
    EXPECT_EQ(q[size_t(16 + 32 + j)] >> 4, (j + 3) % 16);
  }
  for (int i = 0; i < 3; ++i) EXPECT_EQ(h16(size_t(144 + 2 * i)), 1.0f + float(8 + i) / 8.0f);
  for (int j = 0; j < 16; ++j) {  // block 10 alone
    EXPECT_EQ(q[size_t(144 + 6 + 32 + j)] & 0x0f, (j + 10) % 16);
    EXPECT_EQ(q[size_t(144 + 6 + 32 + j)] >> 4, (j + 16 + 10) % 16);
  }
  EXPECT_EQ(quant_row_bytes(DType::Q8, 200), 7 * 34);
  EXPECT_EQ(quant_row_bytes(DType::Q4, 200), 7 * 18);
  EXPECT_EQ(quant_row_bytes(DType::Q4, 64), 2 * 18);
  DType t;
  EXPECT_TRUE(quant_type_from_name("q4", &t));
  EXPECT_EQ(t, DType::Q4);
  EXPECT_FALSE(quant_type_from_name("q5", &t));
}

TEST(Quantize, WeightOwnsItsBlocks) {
  Rng rng(4);
  const std::vector<float> wf = random_vec(rng, 3 * 50, 1.0f);
  Weight w;
  w.dtype = DType::F32;
  w.rows = 3;
  w.cols = 50;
  w.data = reinterpret_cast<const uint8_t*>(wf.data());
  w.name = "x.weight";
  Weight q = quantize_weight(w, DType::Q8);
  ASSERT_TRUE(q.owner);
  EXPECT_EQ(q.nbytes(), 3 * 2 * 34);
  const Weight copy = q;  // copies share the bytes
  q = Weight{};
  std::vector<float> row(50);
  copy.dequant_row(2, row.data());
  for (int j = 0; j < 50; ++j) EXPECT_NEAR(row[size_t(j)], wf[size_t(100 + j)], 1.0 / 127.0);
}

// --- loading q8 / q4 tensors from safetensors ---

struct QFile {
  test::TempDir dir;
  std::string path = dir / "model.safetensors";
  std::vector<float> wf;
  Weight q;
  // Writes one 6 x 40 weight quantized to `type`, with `meta` as its r1.quant entry (empty: generated).
  void write(DType type, const std::string& meta = "", std::vector<int64_t> shape = {}) {
    Rng rng(9);
    wf = random_vec(rng, 6 * 40, 0.5f);
    Weight w;
    w.dtype = DType::F32;
    w.rows = 6;
    w.cols = 40;
    w.data = reinterpret_cast<const uint8_t*>(wf.data());
    w.name = "layer.weight";
    q = quantize_weight(w, type);
    OwnedTensor t;
    t.name = "layer.weight";
    t.dtype = DType::U8;
    t.shape = shape.empty() ? std::vector<int64_t>{6, quant_row_bytes(type, 40)} : shape;
    t.bytes.assign(q.data, q.data + q.nbytes());
    t.bytes.resize(size_t(t.shape[0] * t.shape[1]));
    nlohmann::json gen{{"format", quant_type_name(type)}, {"rows", 6}, {"cols", 40}, {"block", 32}};
    if (type == DType::Q4) gen["layout"] = kQ4LayoutName;
    const std::string m = meta.empty() ? gen.dump() : meta;
    std::map<std::string, std::string> md = {{"format", "pt"}};
    if (m != "none") md["r1.quant.layer.weight"] = m;
    write_safetensors(path, {&t}, md);
  }
  std::string load_error() const {
    try {
      Checkpoint ck(dir.path());
      load_weight(ck, "layer.weight", 6, 40);
    } catch (const Error& e) {
      return e.what();
    }
    return "";
  }
};

TEST(QuantLoad, MapsBlocksWithoutCopying) {
  for (DType t : {DType::Q8, DType::Q4}) {
    QFile f;
    f.write(t);
    Checkpoint ck(f.dir.path());
    const Weight w = load_weight(ck, "layer.weight", 6, 40);
    EXPECT_EQ(w.dtype, t);
    EXPECT_EQ(w.data, ck.get("layer.weight").data);  // a view into the mapping
    EXPECT_FALSE(w.owner);
    std::vector<float> a(40), b(40);
    for (int64_t r = 0; r < 6; ++r) {
      w.dequant_row(r, a.data());
      f.q.dequant_row(r, b.data());
      EXPECT_EQ(a, b);
    }
  }
}

TEST(QuantLoad, MalformedDescriptionsAreClearErrors) {
  auto expect_error = [](QFile& f, const std::string& needle) {
    const std::string e = f.load_error();
    EXPECT_NE(e.find(needle), std::string::npos) << e;
    EXPECT_NE(e.find("layer.weight"), std::string::npos) << e;
    EXPECT_NE(e.find(f.path), std::string::npos) << e;
  };
  {
    QFile f;
    f.write(DType::Q8, "none");
    expect_error(f, "no 'r1.quant.layer.weight'");
  }
  {
    QFile f;
    f.write(DType::Q8, R"({"format":"q5","rows":6,"cols":40,"block":32})");
    expect_error(f, "unknown quantized format 'q5'");
  }
  {
    QFile f;
    f.write(DType::Q8, R"({"format":"q8","rows":6,"cols":40,"block":64})");
    expect_error(f, "block size 64");
  }
  {
    QFile f;
    f.write(DType::Q8, R"({"format":"q8","rows":6,"cols":48,"block":32})");
    expect_error(f, "6 x 48");
  }
  {
    QFile f;
    f.write(DType::Q8, R"({"format":"q8","rows":6)");
    expect_error(f, "not valid JSON");
  }
  {
    QFile f;
    f.write(DType::Q4, R"({"format":"q4","rows":6,"block":32})");
    expect_error(f, "lacks \"cols\"");
  }
  {
    QFile f;  // the q4 description over a q8-sized tensor
    f.write(DType::Q8, R"({"format":"q4","rows":6,"cols":40,"block":32,"layout":"groups8"})");
    expect_error(f, "needs [6, 36]");
  }
  {
    QFile f;  // q4 from before the grouped layout: refused, not misread
    f.write(DType::Q4, R"({"format":"q4","rows":6,"cols":40,"block":32})");
    expect_error(f, "older layout");
  }
  {
    QFile f;  // rows of the wrong width
    f.write(DType::Q8, "", {6, 60});
    expect_error(f, "has shape [6, 60]");
  }
}

TEST(QuantLoad, TruncatedFileIsAnError) {
  QFile f;
  f.write(DType::Q4);
  std::filesystem::resize_file(f.path, std::filesystem::file_size(f.path) - 10);
  const std::string e = f.load_error();
  EXPECT_NE(e.find(f.path), std::string::npos) << e;
  EXPECT_NE(e.find("truncated"), std::string::npos) << e;
}

// --- quantize_checkpoint ---

TEST(QuantizeCheckpoint, Fp8ShardsToQ4) {
  test::TempDir d;
  InitOptions io;
  io.config = "tiny-v3";
  io.seed = 5;
  io.fp8 = true;
  io.shards = 2;
  io.out = d / "fp8";
  init_checkpoint(io);
  QuantizeOptions qo;
  qo.model = d / "fp8";
  qo.out = d / "q4";
  qo.type = DType::Q4;
  const QuantizeReport rep = quantize_checkpoint(qo);
  EXPECT_GT(rep.quantized, 0);
  EXPECT_LT(rep.bytes_out, rep.bytes_in);
  namespace fs = std::filesystem;
  EXPECT_TRUE(fs::exists(d / "q4/model.safetensors.index.json"));
  EXPECT_TRUE(fs::exists(d / "q4/model-00001-of-00002.safetensors"));
  EXPECT_EQ(test::read_text(d / "q4/tokenizer.json"), test::read_text(d / "fp8/tokenizer.json"));
  const auto cfg = nlohmann::json::parse(test::read_text(d / "q4/config.json"));
  EXPECT_FALSE(cfg.contains("quantization_config"));
  EXPECT_EQ(cfg["r1_quantization"]["format"], "q4");
  const Checkpoint ck(d / "q4");
  for (const std::string& n : ck.names()) EXPECT_EQ(n.find("_scale_inv"), std::string::npos) << n;
  const Model m(d / "q4");
  const ModelWeights& w = m.weights();
  EXPECT_EQ(w.layers[0].attn.wq_a.dtype, DType::Q4);
  EXPECT_EQ(w.head.dtype, DType::Q8);                       // the output head stays at 8 bits
  EXPECT_EQ(w.embed.dtype, DType::BF16);                    // embeddings as stored
  EXPECT_EQ(w.layers.back().moe.gate.dtype, DType::BF16);   // the router as stored
  // The same model quantized at load time holds the same blocks.
  ModelLoadOptions lo;
  lo.quant = DType::Q4;
  const Model ml(d / "fp8", lo);
  const Weight& a = w.layers[0].attn.wkv_b;
  const Weight& b = ml.weights().layers[0].attn.wkv_b;
  ASSERT_EQ(a.nbytes(), b.nbytes());
  EXPECT_EQ(std::memcmp(a.data, b.data, size_t(a.nbytes())), 0);
  // A non-empty output folder is refused.
  EXPECT_THROW(quantize_checkpoint(qo), Error);
}

}  // namespace
}  // namespace r1
