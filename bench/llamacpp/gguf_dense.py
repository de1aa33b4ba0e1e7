"""The R1-Distill families (Qwen2ForCausalLM -> llama.cpp `qwen2`, LlamaForCausalLM -> `llama`) for hf_to_gguf.py.

What llama.cpp's converter writes for them at the pinned commit (conversion/qwen.py Qwen2Model, conversion/llama.py
LlamaModel over the generic TextModel):
  * metadata: context/embedding/feed-forward length, block count, head count and head_count_kv, rope base,
    rms eps, file type; Llama also the rope dimension count (head_dim).
  * tensors: token_embd, blk.N.{attn_norm, attn_q, attn_k, attn_v (+ .bias for Qwen2), attn_output, ffn_norm,
    ffn_gate, ffn_up, ffn_down}, output_norm, output (absent when tied). Norms and biases in F32.
  * Llama's q_proj/k_proj rows are permuted from Hugging Face's rotate-half order to interleaved pairs, because
    llama.cpp rotates Llama with its NORM rope (Qwen2 keeps NEOX rope and the weights as they are), and
    rope_scaling llama3 becomes a `rope_freqs` tensor of per-frequency divisors.
"""

import math

import numpy as np

PER_LAYER = {  # HF suffix -> MODEL_TENSOR name
    "input_layernorm": "ATTN_NORM", "post_attention_layernorm": "FFN_NORM",
    "self_attn.q_proj": "ATTN_Q", "self_attn.k_proj": "ATTN_K", "self_attn.v_proj": "ATTN_V",
    "self_attn.o_proj": "ATTN_OUT", "mlp.gate_proj": "FFN_GATE", "mlp.up_proj": "FFN_UP", "mlp.down_proj": "FFN_DOWN",
}


def head_dim(cfg):
    return cfg.get("head_dim") or cfg["hidden_size"] // cfg["num_attention_heads"]


def permute_rows(a, n_head):
    """Rows of each head from [first half | second half] to interleaved pairs (llama.cpp's LlamaModel.permute)."""
    return np.ascontiguousarray(a.reshape(n_head, 2, a.shape[0] // n_head // 2, *a.shape[1:]).swapaxes(1, 2)
                                .reshape(a.shape))


def build_plan(gguf, ck, cfg, outtype, load, convert):
    M, N = gguf.MODEL_TENSOR, gguf.TENSOR_NAMES
    llama = cfg["architectures"][0] == "LlamaForCausalLM"
    n_head, n_kv = cfg["num_attention_heads"], cfg.get("num_key_value_heads") or cfg["num_attention_heads"]
    tie = cfg.get("tie_word_embeddings", False)
    block = (128, 128)
    plan, used, skipped = [], set(), []

    def add(name, gn, permute_heads=None):
        shape = ck.shape(name)
        kind = "f32" if len(shape) <= 1 else outtype

        def produce(name=name, kind=kind):
            src_kind, a = load(ck, name, block)
            if permute_heads:
                a = permute_rows(a, permute_heads)
            return convert(src_kind, a, kind)
        plan.append((gn, shape, kind, produce))
        used.add(name)

    add("model.embed_tokens.weight", N[M.TOKEN_EMBD] + ".weight")
    if llama and (cfg.get("rope_scaling") or {}).get("rope_type") == "llama3":
        plan.append((N[M.ROPE_FREQS] + ".weight", (head_dim(cfg) // 2,), "f32", lambda: llama3_factors(cfg)))
    for bid in range(cfg["num_hidden_layers"]):
        for suffix, key in PER_LAYER.items():
            for kind in ("weight", "bias"):
                name = f"model.layers.{bid}.{suffix}.{kind}"
                if name not in ck.entries:
                    continue
                heads = None
                if llama and suffix == "self_attn.q_proj":
                    heads = n_head
                elif llama and suffix == "self_attn.k_proj":
                    heads = n_kv
                add(name, N[getattr(M, key)].format(bid=bid) + "." + kind, heads)
    add("model.norm.weight", N[M.OUTPUT_NORM] + ".weight")
    if "lm_head.weight" in ck.entries:
        if tie:
            skipped.append("lm_head.weight")
            used.add("lm_head.weight")
        else:
            add("lm_head.weight", N[M.OUTPUT] + ".weight")
    unmapped = [n for n in ck.names() if n not in used]
    if unmapped:
        raise SystemExit("tensors with no llama.cpp name: " + ", ".join(unmapped[:10]))
    return plan, skipped


def llama3_factors(cfg):
    """Per-frequency divisors of rope_scaling llama3 (what llama.cpp's `rope_freqs` tensor holds)."""
    rs, d = cfg["rope_scaling"], head_dim(cfg)
    base = cfg.get("rope_theta", 10000.0)
    factor, low, high = rs["factor"], rs["low_freq_factor"], rs["high_freq_factor"]
    orig = rs["original_max_position_embeddings"]
    out = []
    for i in range(0, d, 2):
        wavelen = 2 * math.pi * base ** (i / d)
        if wavelen < orig / high:
            out.append(1.0)
        elif wavelen > orig / low:
            out.append(factor)
        else:
            smooth = (orig / wavelen - low) / (high - low)
            out.append(1 / ((1 - smooth) / factor + smooth))
    return np.asarray(out, dtype=np.float32)


def write_hparams(gguf, w, cfg, ftype, name):
    w.add_type(gguf.GGUFType.MODEL)
    w.add_name(name)
    w.add_block_count(cfg["num_hidden_layers"])
    w.add_context_length(cfg["max_position_embeddings"])
    w.add_embedding_length(cfg["hidden_size"])
    w.add_feed_forward_length(cfg["intermediate_size"])
    w.add_head_count(cfg["num_attention_heads"])
    w.add_head_count_kv(cfg.get("num_key_value_heads") or cfg["num_attention_heads"])
    w.add_rope_freq_base(cfg.get("rope_theta", 10000.0))
    w.add_layer_norm_rms_eps(cfg["rms_norm_eps"])
    if cfg["architectures"][0] == "LlamaForCausalLM":
        w.add_rope_dimension_count(head_dim(cfg))
        w.add_vocab_size(cfg["vocab_size"])
    w.add_file_type(ftype)
    w.add_quantization_version(gguf.GGML_QUANT_VERSION)
