#include "io/hf_names.h"

#include <cctype>
#include <cstring>

#include "core/error.h"

namespace r1 {

namespace {

struct Pair { const char* ours; const char* hf; };

// Per-layer names, relative to "layers.{i}." / "model.layers.{i}.". "{j}" stands for an expert index.
constexpr Pair kLayer[] = {
    {"attn_norm", "input_layernorm.weight"},
    {"ffn_norm", "post_attention_layernorm.weight"},
    {"attn.wq", "self_attn.q_proj.weight"},
    {"attn.wq_a", "self_attn.q_a_proj.weight"},
    {"attn.q_norm", "self_attn.q_a_layernorm.weight"},
    {"attn.wq_b", "self_attn.q_b_proj.weight"},
    {"attn.wkv_a", "self_attn.kv_a_proj_with_mqa.weight"},
    {"attn.kv_norm", "self_attn.kv_a_layernorm.weight"},
    {"attn.wkv_b", "self_attn.kv_b_proj.weight"},
    {"attn.wo", "self_attn.o_proj.weight"},
    // Grouped-query attention (Qwen2 / Llama); attn.wq is shared with MLA's uncompressed query above.
    {"attn.wk", "self_attn.k_proj.weight"},
    {"attn.wv", "self_attn.v_proj.weight"},
    {"attn.bq", "self_attn.q_proj.bias"},
    {"attn.bk", "self_attn.k_proj.bias"},
    {"attn.bv", "self_attn.v_proj.bias"},
    {"ffn.w1", "mlp.gate_proj.weight"},
    {"ffn.w2", "mlp.down_proj.weight"},
    {"ffn.w3", "mlp.up_proj.weight"},
    {"ffn.gate", "mlp.gate.weight"},
    {"ffn.gate.bias", "mlp.gate.e_score_correction_bias"},
    {"ffn.experts.{j}.w1", "mlp.experts.{j}.gate_proj.weight"},
    {"ffn.experts.{j}.w2", "mlp.experts.{j}.down_proj.weight"},
    {"ffn.experts.{j}.w3", "mlp.experts.{j}.up_proj.weight"},
    {"ffn.shared_experts.w1", "mlp.shared_experts.gate_proj.weight"},
    {"ffn.shared_experts.w2", "mlp.shared_experts.down_proj.weight"},
    {"ffn.shared_experts.w3", "mlp.shared_experts.up_proj.weight"},
    // Multi-token prediction module (stored as layer num_hidden_layers).
    {"mtp.enorm", "enorm.weight"},
    {"mtp.hnorm", "hnorm.weight"},
    {"mtp.eh_proj", "eh_proj.weight"},
    {"mtp.embed", "embed_tokens.weight"},
    {"mtp.norm", "shared_head.norm.weight"},
    {"mtp.head", "shared_head.head.weight"},
};

constexpr Pair kGlobal[] = {
    {"embed", "model.embed_tokens.weight"},
    {"norm", "model.norm.weight"},
    {"head", "lm_head.weight"},
};

// Splits "P{n}.rest" style names: reads a decimal number at s[pos..], returns its end or npos.
size_t read_number(const std::string& s, size_t pos, std::string* num) {
  size_t e = pos;
  while (e < s.size() && std::isdigit(static_cast<unsigned char>(s[e]))) ++e;
  if (e == pos || e >= s.size() || s[e] != '.') return std::string::npos;
  *num = s.substr(pos, e - pos);
  return e + 1;
}

// Matches `name` against `pattern` (which may contain one "{j}"), filling *j.
bool match(const std::string& name, const std::string& pattern, std::string* j) {
  const size_t p = pattern.find("{j}");
  if (p == std::string::npos) return name == pattern;
  if (name.compare(0, p, pattern, 0, p) != 0) return false;
  const size_t e = read_number(name, p, j);
  if (e == std::string::npos) return false;
  return name.compare(e, std::string::npos, pattern, p + 4, std::string::npos) == 0;
}

std::string fill(const std::string& pattern, const std::string& j) {
  const size_t p = pattern.find("{j}");
  return p == std::string::npos ? pattern : pattern.substr(0, p) + j + pattern.substr(p + 3);
}

// Translates between two name spaces (from -> to), given the layer prefixes of each.
std::string translate(const std::string& name, bool to_hf) {
  std::string base = name, suffix;
  const char* scale_from = to_hf ? ".scale" : "_scale_inv";
  const char* scale_to = to_hf ? "_scale_inv" : ".scale";
  if (base.size() > std::strlen(scale_from) &&
      base.compare(base.size() - std::strlen(scale_from), std::string::npos, scale_from) == 0) {
    base.resize(base.size() - std::strlen(scale_from));
    suffix = scale_to;
  }
  for (const Pair& g : kGlobal)
    if (base == (to_hf ? g.ours : g.hf)) return std::string(to_hf ? g.hf : g.ours) + suffix;
  const std::string from_prefix = to_hf ? "layers." : "model.layers.";
  const std::string to_prefix = to_hf ? "model.layers." : "layers.";
  if (base.compare(0, from_prefix.size(), from_prefix) != 0) return "";
  std::string layer;
  const size_t rest = read_number(base, from_prefix.size(), &layer);
  if (rest == std::string::npos) return "";
  const std::string tail = base.substr(rest);
  for (const Pair& p : kLayer) {
    std::string j;
    if (match(tail, to_hf ? p.ours : p.hf, &j)) return to_prefix + layer + "." + fill(to_hf ? p.hf : p.ours, j) + suffix;
  }
  return "";
}

}  // namespace

std::string hf_name(const std::string& ours) {
  std::string hf = translate(ours, true);
  require(!hf.empty(), "internal: no Hugging Face name for tensor '" + ours + "'");
  return hf;
}

std::string our_name(const std::string& hf) { return translate(hf, false); }

}  // namespace r1
