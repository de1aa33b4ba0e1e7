// r1 info: what a checkpoint is: architecture, parameters (total / active per token), cache per token.
#include <cstdio>

#include "cli/commands.h"
#include "model/param_count.h"
#include "model/transformer.h"

namespace r1::cli {

namespace {

std::string human(double n) {
  char b[32];
  if (n >= 1e9) std::snprintf(b, sizeof b, "%.2f B", n / 1e9);
  else if (n >= 1e6) std::snprintf(b, sizeof b, "%.2f M", n / 1e6);
  else if (n >= 1e3) std::snprintf(b, sizeof b, "%.1f K", n / 1e3);
  else std::snprintf(b, sizeof b, "%.0f", n);
  return b;
}

const char* score_name(ScoreFunc s) { return s == ScoreFunc::Softmax ? "softmax" : "sigmoid"; }
const char* topk_name(TopkMethod t) {
  return t == TopkMethod::Greedy ? "greedy" : t == TopkMethod::GroupLimitedGreedy ? "group_limited_greedy" : "noaux_tc";
}

}  // namespace

Action add_info(CLI::App& app) {
  auto* cmd = app.add_subcommand("info", "Describe a checkpoint: architecture, parameters, KV-cache size");
  auto model = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  cmd->add_option("--model", *model, "Hugging Face model folder")->required();
  cmd->add_flag("--json", *json, "Print one JSON object");
  return [model, json]() {
    Model m(*model);  // loads and validates every tensor the config calls for
    const ModelConfig& c = m.config();
    const ParamCount p = count_params(c);
    const int64_t mla = mla_cache_values(c), mha = mha_cache_values(c);
    const int64_t bytes_f32 = 4;  // the default cache storage (--cache-type f32)
    if (*json) {
      std::printf("{\"architecture\":\"%s\",\"layers\":%lld,\"params_total\":%lld,\"params_active\":%lld,"
                  "\"params_mtp\":%lld,\"kv_bytes_per_token_layer\":%lld,\"mha_kv_bytes_per_token_layer\":%lld,"
                  "\"kv_ratio\":%.6f,\"checkpoint_bytes\":%zu,\"fp8\":%s}\n",
                  c.architecture.c_str(), (long long)c.n_layers, (long long)p.total, (long long)p.active,
                  (long long)p.mtp, (long long)(mla * bytes_f32), (long long)(mha * bytes_f32), double(mla) / double(mha),
                  m.checkpoint().total_bytes(), c.fp8 ? "true" : "false");
      return 0;
    }
    std::printf("model            %s\n", model->c_str());
    std::printf("architecture     %s%s\n", c.architecture.c_str(), c.fp8 ? " (FP8 e4m3 block-scaled weights)" : "");
    std::printf("shape            %lld layers, hidden %lld, %lld heads, vocab %lld\n", (long long)c.n_layers,
                (long long)c.dim, (long long)c.n_heads, (long long)c.vocab_size);
    if (c.attn == AttnKind::GQA)
      std::printf("attention        GQA: %lld query heads, %lld KV heads, head_dim %lld%s%s\n", (long long)c.n_heads,
                  (long long)c.n_kv_heads, (long long)c.head_dim, c.qkv_bias ? ", q/k/v biases" : "",
                  c.llama3.enabled ? ", Llama 3 RoPE scaling" : "");
    else
      std::printf("attention        MLA: q_lora_rank %lld, kv_lora_rank %lld, qk_nope %lld + qk_rope %lld, v %lld%s\n",
                  (long long)c.q_lora_rank, (long long)c.kv_lora_rank, (long long)c.qk_nope_head_dim,
                  (long long)c.qk_rope_head_dim, (long long)c.v_head_dim, c.yarn.enabled ? ", YaRN" : "");
    if (c.n_routed_experts > 0)
      std::printf("moe              %lld routed (%lld active) + %lld shared experts, %s/%s, %lld groups (keep %lld), "
                  "first %lld layers dense\n",
                  (long long)c.n_routed_experts, (long long)c.n_activated_experts, (long long)c.n_shared_experts,
                  score_name(c.score_func), topk_name(c.topk_method), (long long)c.n_expert_groups,
                  (long long)c.n_limited_groups, (long long)c.n_dense_layers);
    std::printf("parameters       %s total, %s active per token (%.1f%%)\n", human(double(p.total)).c_str(),
                human(double(p.active)).c_str(), 100.0 * double(p.active) / double(p.total));
    if (c.n_mtp_layers > 0)
      std::printf("mtp              %lld module(s), %s parameters, %s (not used for plain decoding)\n",
                  (long long)c.n_mtp_layers, human(double(p.mtp)).c_str(),
                  m.weights().mtp.empty() ? "absent from the checkpoint" : "present");
    std::printf("kv cache / token / layer   %s %lld values = %lld bytes (f32); MHA would need %lld values = "
                "%lld bytes; ratio %.2f%%\n",
                c.attn == AttnKind::GQA ? "GQA keys+values" : "MLA latent", (long long)mla, (long long)(mla * bytes_f32),
                (long long)mha, (long long)(mha * bytes_f32), 100.0 * double(mla) / double(mha));
    std::printf("kv cache / token           %lld bytes over %lld layers (f32; --cache-type bf16: %lld, fp8: %lld)\n",
                (long long)(mla * bytes_f32 * c.n_layers), (long long)c.n_layers,
                (long long)(cache_row_format(c, DType::BF16).bytes() * c.n_layers),
                (long long)(cache_row_format(c, DType::F8_E4M3).bytes() * c.n_layers));
    std::printf("checkpoint       %s bytes on disk (memory-mapped)\n", human(double(m.checkpoint().total_bytes())).c_str());
    return 0;
  };
}

}  // namespace r1::cli
