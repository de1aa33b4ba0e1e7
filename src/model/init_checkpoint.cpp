#include "model/init_checkpoint.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/dtype.h"
#include "core/error.h"
#include "core/rng.h"
#include "io/file_util.h"
#include "io/hf_names.h"
#include "io/safetensors_writer.h"
#include "model/config.h"
#include "tokenizer/byte_tokenizer_writer.h"

namespace r1 {

using ojson = nlohmann::ordered_json;

namespace {

// Shapes shared by the tiny configs; each variant overrides what distinguishes it. Dimensions of the V3-like
// config are deliberately not multiples of 128, so FP8 checkpoints have partial edge blocks.
ojson base_config() {
  return ojson{{"architectures", {"DeepseekV2ForCausalLM"}},
               {"model_type", "deepseek_v2"},
               {"vocab_size", 512},
               {"hidden_size", 128},
               {"intermediate_size", 320},
               {"moe_intermediate_size", 64},
               {"num_hidden_layers", 3},
               {"num_attention_heads", 4},
               {"num_key_value_heads", 4},
               {"q_lora_rank", nullptr},
               {"kv_lora_rank", 64},
               {"qk_nope_head_dim", 32},
               {"qk_rope_head_dim", 16},
               {"v_head_dim", 32},
               {"n_routed_experts", 8},
               {"n_shared_experts", 2},
               {"num_experts_per_tok", 2},
               {"first_k_dense_replace", 1},
               {"moe_layer_freq", 1},
               {"scoring_func", "softmax"},
               {"topk_method", "greedy"},
               {"n_group", 1},
               {"topk_group", 1},
               {"norm_topk_prob", false},
               {"routed_scaling_factor", 1.0},
               {"aux_loss_alpha", 0.001},
               {"seq_aux", true},
               {"hidden_act", "silu"},
               {"rope_theta", 10000.0},
               {"rope_scaling",
                {{"type", "yarn"},
                 {"factor", 40.0},
                 {"original_max_position_embeddings", 64},
                 {"beta_fast", 32},
                 {"beta_slow", 1},
                 {"mscale", 0.707},
                 {"mscale_all_dim", 0.707}}},
               {"rms_norm_eps", 1e-6},
               {"max_position_embeddings", 2560},
               {"tie_word_embeddings", false},
               {"bos_token_id", 0},
               {"eos_token_id", 1},
               {"torch_dtype", "bfloat16"},
               {"use_cache", true}};
}

// The R1-Distill families: grouped-query attention with a dense SwiGLU MLP, in Hugging Face's config layout.
ojson qwen2_config() {
  return ojson{{"architectures", {"Qwen2ForCausalLM"}},
               {"model_type", "qwen2"},
               {"vocab_size", 512},
               {"hidden_size", 128},
               {"intermediate_size", 320},
               {"num_hidden_layers", 3},
               {"num_attention_heads", 4},
               {"num_key_value_heads", 2},
               {"hidden_act", "silu"},
               {"max_position_embeddings", 2048},
               {"rms_norm_eps", 1e-6},
               {"rope_theta", 10000.0},
               {"rope_scaling", nullptr},
               {"sliding_window", 4096},
               {"use_sliding_window", false},
               {"max_window_layers", 21},
               {"attention_dropout", 0.0},
               {"tie_word_embeddings", true},
               {"bos_token_id", 0},
               {"eos_token_id", 1},
               {"torch_dtype", "bfloat16"},
               {"use_cache", true}};
}

ojson llama_config() {
  return ojson{{"architectures", {"LlamaForCausalLM"}},
               {"model_type", "llama"},
               {"vocab_size", 512},
               {"hidden_size", 128},
               {"intermediate_size", 320},
               {"num_hidden_layers", 3},
               {"num_attention_heads", 8},
               {"num_key_value_heads", 2},
               {"head_dim", 16},
               {"hidden_act", "silu"},
               {"max_position_embeddings", 2048},
               {"rms_norm_eps", 1e-5},
               {"rope_theta", 500000.0},
               // Llama 3.1's scaling; the tiny original length puts some frequencies in each of the three bands.
               {"rope_scaling",
                {{"factor", 8.0},
                 {"low_freq_factor", 1.0},
                 {"high_freq_factor", 4.0},
                 {"original_max_position_embeddings", 64},
                 {"rope_type", "llama3"}}},
               {"attention_bias", false},
               {"mlp_bias", false},
               {"pretraining_tp", 1},
               {"tie_word_embeddings", false},
               {"bos_token_id", 0},
               {"eos_token_id", 1},
               {"torch_dtype", "bfloat16"},
               {"use_cache", true}};
}

ojson named_config(const std::string& name) {
  if (name == "tiny-qwen2") return qwen2_config();  // GQA 4/2 heads, q/k/v biases, tied embeddings
  if (name == "tiny-llama") return llama_config();  // GQA 8/2 heads, head_dim given, Llama 3 RoPE scaling
  if (name == "qwen2-1.5b") {  // DeepSeek-R1-Distill-Qwen-1.5B's published shape: the benchmark model
    ojson c = qwen2_config();
    c["vocab_size"] = 151936;
    c["hidden_size"] = 1536;
    c["intermediate_size"] = 8960;
    c["num_hidden_layers"] = 28;
    c["num_attention_heads"] = 12;
    c["num_key_value_heads"] = 2;
    c["max_position_embeddings"] = 131072;
    c["max_window_layers"] = 21;
    c["tie_word_embeddings"] = false;
    return c;
  }
  ojson c = base_config();
  if (name == "tiny-v2-lite") return c;  // no q-LoRA, softmax, greedy
  if (name == "tiny-v2") {               // q-LoRA, softmax, group-limited greedy, unnormalised weights
    c["q_lora_rank"] = 96;
    c["n_routed_experts"] = 16;
    c["num_experts_per_tok"] = 3;
    c["topk_method"] = "group_limited_greedy";
    c["n_group"] = 4;
    c["topk_group"] = 2;
    c["routed_scaling_factor"] = 16.0;
    return c;
  }
  if (name == "tiny-v3") {  // q-LoRA, sigmoid + bias, noaux_tc groups, YaRN, an MTP layer
    c["architectures"] = {"DeepseekV3ForCausalLM"};
    c["model_type"] = "deepseek_v3";
    c["vocab_size"] = 640;
    c["hidden_size"] = 200;
    c["intermediate_size"] = 300;
    c["moe_intermediate_size"] = 72;
    c["q_lora_rank"] = 136;
    c["kv_lora_rank"] = 72;
    c["n_routed_experts"] = 16;
    c["n_shared_experts"] = 1;
    c["num_experts_per_tok"] = 4;
    c["scoring_func"] = "sigmoid";
    c["topk_method"] = "noaux_tc";
    c["n_group"] = 4;
    c["topk_group"] = 2;
    c["norm_topk_prob"] = true;
    c["routed_scaling_factor"] = 2.5;
    c["rope_scaling"]["mscale"] = 1.0;
    c["rope_scaling"]["mscale_all_dim"] = 1.0;
    c["num_nextn_predict_layers"] = 1;
    return c;
  }
  if (name == "train-tiny") {  // the small model `r1 train` starts from: V3 routing, MTP, no YaRN, ~1 M params
    c = named_config("tiny-v3");
    c["vocab_size"] = 265;  // r1's character-level tokenizer; `r1 train` sets it from the data
    c["hidden_size"] = 128;
    c["intermediate_size"] = 384;
    c["moe_intermediate_size"] = 96;
    c["num_hidden_layers"] = 3;
    c["q_lora_rank"] = nullptr;
    c["kv_lora_rank"] = 64;
    c["qk_nope_head_dim"] = 32;
    c["qk_rope_head_dim"] = 16;
    c["v_head_dim"] = 32;
    c["n_routed_experts"] = 8;
    c["n_shared_experts"] = 1;
    c["num_experts_per_tok"] = 2;
    c["n_group"] = 1;
    c["topk_group"] = 1;
    c["routed_scaling_factor"] = 1.0;
    c["rope_scaling"] = nullptr;
    c["max_position_embeddings"] = 1024;
    return c;
  }
  if (name == "train-nano") {  // a smaller student for distillation: 3/4 of the width, two layers
    c = named_config("train-tiny");
    c["hidden_size"] = 96;
    c["intermediate_size"] = 256;
    c["moe_intermediate_size"] = 64;
    c["num_hidden_layers"] = 2;
    c["kv_lora_rank"] = 48;
    return c;
  }
  if (name == "train-deep") {  // 16 dense MLA layers, ~16 M parameters (65 MB f32): decode is bound by memory
    c = named_config("train-tiny");  // bandwidth, the case MTP speculative decoding is for
    c["hidden_size"] = 256;
    c["intermediate_size"] = 1024;
    c["num_hidden_layers"] = 16;
    c["first_k_dense_replace"] = 16;
    c["kv_lora_rank"] = 128;
    c["qk_nope_head_dim"] = 48;
    c["v_head_dim"] = 64;
    return c;
  }
  if (name == "small-v3") {  // a few hundred MB: for memory and speed checks, not for golden tests
    c = named_config("tiny-v3");
    c["vocab_size"] = 32000;
    c["hidden_size"] = 1024;
    c["intermediate_size"] = 2816;
    c["moe_intermediate_size"] = 512;
    c["num_hidden_layers"] = 6;
    c["num_attention_heads"] = 8;
    c["num_key_value_heads"] = 8;
    c["q_lora_rank"] = 384;
    c["kv_lora_rank"] = 256;
    c["qk_nope_head_dim"] = 64;
    c["qk_rope_head_dim"] = 32;
    c["v_head_dim"] = 64;
    c["n_routed_experts"] = 16;
    c["num_experts_per_tok"] = 4;
    c["num_nextn_predict_layers"] = 0;
    c["rope_scaling"]["original_max_position_embeddings"] = 4096;
    c["max_position_embeddings"] = 163840;
    return c;
  }
  if (name == "v2-lite-8l") {  // DeepSeek-V2-Lite's published shape, 8 of its 27 layers: the benchmark model
    c["hidden_size"] = 2048;
    c["intermediate_size"] = 10944;
    c["moe_intermediate_size"] = 1408;
    c["num_hidden_layers"] = 8;
    c["num_attention_heads"] = 16;
    c["num_key_value_heads"] = 16;
    c["q_lora_rank"] = nullptr;
    c["kv_lora_rank"] = 512;
    c["qk_nope_head_dim"] = 128;
    c["qk_rope_head_dim"] = 64;
    c["v_head_dim"] = 128;
    c["n_routed_experts"] = 64;
    c["n_shared_experts"] = 2;
    c["num_experts_per_tok"] = 6;
    c["vocab_size"] = 102400;  // bos/eos stay 0/1: the ids of the byte-level tokenizer r1 init writes
    c["rope_scaling"]["original_max_position_embeddings"] = 4096;
    c["max_position_embeddings"] = 163840;
    return c;
  }
  std::string known;
  for (const auto& n : init_config_names()) known += (known.empty() ? "" : ", ") + n;
  throw Error("unknown config name '" + name + "' (known: " + known + ")");
}

struct Emitter {
  Rng rng;
  DType dtype;  // non-FP8 tensors
  bool fp8;
  int64_t block;
  std::vector<OwnedTensor> out;

  void add_floats(const std::string& ours, std::vector<int64_t> shape, const std::vector<float>& v, DType dt) {
    OwnedTensor t;
    t.name = hf_name(ours);
    t.dtype = dt;
    t.shape = std::move(shape);
    t.bytes.resize(v.size() * dtype_size(dt));
    for (size_t i = 0; i < v.size(); ++i) {
      if (dt == DType::F32) std::memcpy(&t.bytes[i * 4], &v[i], 4);
      else {
        const uint16_t h = f32_to_bf16(v[i]);
        std::memcpy(&t.bytes[i * 2], &h, 2);
      }
    }
    out.push_back(std::move(t));
  }
  std::vector<float> uniform(int64_t n, float a, float center = 0.0f) {
    std::vector<float> v(static_cast<size_t>(n));
    for (auto& x : v) x = center + rng.symmetric(a);
    return v;
  }
  void norm(const std::string& ours, int64_t n) { add_floats(ours, {n}, uniform(n, 0.2f, 1.0f), dtype); }
  // A linear weight (rows, cols) ~ U(-1/sqrt(cols), 1/sqrt(cols)); FP8 with block scales when `quant`.
  void linear(const std::string& ours, int64_t rows, int64_t cols, bool quant) {
    const std::vector<float> w = uniform(rows * cols, 1.0f / std::sqrt(float(cols)));
    if (!quant) return add_floats(ours, {rows, cols}, w, dtype);
    const int64_t br = (rows + block - 1) / block, bc = (cols + block - 1) / block;
    std::vector<float> scale(size_t(br * bc));
    OwnedTensor q;
    q.name = hf_name(ours);
    q.dtype = DType::F8_E4M3;
    q.shape = {rows, cols};
    q.bytes.resize(size_t(rows * cols));
    for (int64_t bi = 0; bi < br; ++bi)
      for (int64_t bj = 0; bj < bc; ++bj) {
        float amax = 0.0f;
        for (int64_t i = bi * block; i < std::min(rows, (bi + 1) * block); ++i)
          for (int64_t j = bj * block; j < std::min(cols, (bj + 1) * block); ++j)
            amax = std::max(amax, std::fabs(w[size_t(i * cols + j)]));
        const float s = amax > 0.0f ? amax / 448.0f : 1.0f;
        scale[size_t(bi * bc + bj)] = s;
        for (int64_t i = bi * block; i < std::min(rows, (bi + 1) * block); ++i)
          for (int64_t j = bj * block; j < std::min(cols, (bj + 1) * block); ++j)
            q.bytes[size_t(i * cols + j)] = f32_to_fp8_e4m3(w[size_t(i * cols + j)] / s);
      }
    out.push_back(std::move(q));
    add_floats(ours + ".scale", {br, bc}, scale, DType::F32);
  }
  void mlp(const std::string& p, int64_t dim, int64_t inter) {
    linear(p + ".w1", inter, dim, fp8);
    linear(p + ".w2", dim, inter, fp8);
    linear(p + ".w3", inter, dim, fp8);
  }
};

// One decoder block's tensors (also used for the MTP layer's block).
void emit_block(Emitter& e, const ModelConfig& c, int64_t i, bool moe) {
  const std::string p = "layers." + std::to_string(i) + ".";
  e.norm(p + "attn_norm", c.dim);
  e.norm(p + "ffn_norm", c.dim);
  if (c.attn == AttnKind::GQA) {
    const int64_t q = c.n_heads * c.head_dim, kv = c.n_kv_heads * c.head_dim;
    e.linear(p + "attn.wq", q, c.dim, e.fp8);
    e.linear(p + "attn.wk", kv, c.dim, e.fp8);
    e.linear(p + "attn.wv", kv, c.dim, e.fp8);
    if (c.qkv_bias) {
      e.add_floats(p + "attn.bq", {q}, e.uniform(q, 0.5f), e.dtype);
      e.add_floats(p + "attn.bk", {kv}, e.uniform(kv, 0.5f), e.dtype);
      e.add_floats(p + "attn.bv", {kv}, e.uniform(kv, 0.5f), e.dtype);
    }
    e.linear(p + "attn.wo", c.dim, q, e.fp8);
    return e.mlp(p + "ffn", c.dim, c.inter_dim);
  }
  if (c.q_lora_rank == 0) {
    e.linear(p + "attn.wq", c.n_heads * c.qk_head_dim(), c.dim, e.fp8);
  } else {
    e.linear(p + "attn.wq_a", c.q_lora_rank, c.dim, e.fp8);
    e.norm(p + "attn.q_norm", c.q_lora_rank);
    e.linear(p + "attn.wq_b", c.n_heads * c.qk_head_dim(), c.q_lora_rank, e.fp8);
  }
  e.linear(p + "attn.wkv_a", c.kv_lora_rank + c.qk_rope_head_dim, c.dim, e.fp8);
  e.norm(p + "attn.kv_norm", c.kv_lora_rank);
  e.linear(p + "attn.wkv_b", c.n_heads * (c.qk_nope_head_dim + c.v_head_dim), c.kv_lora_rank, e.fp8);
  e.linear(p + "attn.wo", c.dim, c.n_heads * c.v_head_dim, e.fp8);
  if (!moe) return e.mlp(p + "ffn", c.dim, c.inter_dim);
  e.linear(p + "ffn.gate", c.n_routed_experts, c.dim, false);  // the router stays BF16 in FP8 releases
  if (c.topk_method == TopkMethod::NoauxTc)
    e.add_floats(p + "ffn.gate.bias", {c.n_routed_experts}, e.uniform(c.n_routed_experts, 0.05f), DType::F32);
  for (int64_t j = 0; j < c.n_routed_experts; ++j) e.mlp(p + "ffn.experts." + std::to_string(j), c.dim, c.moe_inter_dim);
  if (c.n_shared_experts > 0) e.mlp(p + "ffn.shared_experts", c.dim, c.n_shared_experts * c.moe_inter_dim);
}

}  // namespace

std::vector<std::string> init_config_names() {
  return {"tiny-v2-lite", "tiny-v2", "tiny-v3", "small-v3", "v2-lite-8l", "tiny-qwen2", "tiny-llama", "qwen2-1.5b",
          "train-tiny", "train-nano", "train-deep"};
}

std::string init_config_json(const std::string& name, bool fp8) {
  ojson c = named_config(name);
  if (fp8)
    c["quantization_config"] = {
        {"activation_scheme", "dynamic"}, {"fmt", "e4m3"}, {"quant_method", "fp8"}, {"weight_block_size", {128, 128}}};
  return c.dump(2) + "\n";
}

void init_checkpoint(const InitOptions& o) {
  require(!o.out.empty(), "--out is required");
  require(o.dtype == "bf16" || o.dtype == "f32", "--dtype must be bf16 or f32, got '" + o.dtype + "'");
  const std::string cfg_text = init_config_json(o.config, o.fp8);
  const ModelConfig c = parse_model_config(cfg_text, o.config);
  Emitter e{Rng(o.seed), o.dtype == "f32" ? DType::F32 : DType::BF16, o.fp8, c.fp8_block_out, {}};
  e.linear("embed", c.vocab_size, c.dim, false);
  for (int64_t i = 0; i < c.n_layers; ++i) emit_block(e, c, i, c.is_moe_layer(i));
  e.norm("norm", c.dim);
  if (!c.tie_word_embeddings) e.linear("head", c.vocab_size, c.dim, false);
  for (int64_t m = 0; m < c.n_mtp_layers; ++m) {  // MTP module, stored after the decoder layers
    const int64_t L = c.n_layers + m;
    const std::string p = "layers." + std::to_string(L) + ".";
    e.linear(p + "mtp.embed", c.vocab_size, c.dim, false);
    e.norm(p + "mtp.enorm", c.dim);
    e.norm(p + "mtp.hnorm", c.dim);
    e.linear(p + "mtp.eh_proj", c.dim, 2 * c.dim, false);
    emit_block(e, c, L, c.n_routed_experts > 0);
    e.norm(p + "mtp.norm", c.dim);
    e.linear(p + "mtp.head", c.vocab_size, c.dim, false);
  }
  std::filesystem::create_directories(o.out);
  write_checkpoint_tensors(o.out, e.out, o.shards);
  tok::write_byte_tokenizer(o.out, c.vocab_size, /*think_prompt=*/c.attn == AttnKind::GQA);  // R1-Distill's prompt
  write_file_atomic(o.out + "/config.json", cfg_text);
}

}  // namespace r1
