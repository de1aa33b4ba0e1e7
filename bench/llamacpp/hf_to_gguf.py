#!/usr/bin/env python3
"""Convert a DeepSeek-V2/V3 Hugging Face folder (what `r1 init` writes, or a published checkpoint) to a GGUF file
that llama.cpp loads as its `deepseek2` architecture, with nothing but numpy and the `gguf` package of a llama.cpp
source tree (no torch, no transformers).

It reproduces what llama.cpp's own converter (convert_hf_to_gguf.py -> conversion/deepseek.py, class
DeepseekV2Model, registered for DeepseekV2ForCausalLM and DeepseekV3ForCausalLM) writes at the pinned commit:

  * metadata: the generic TextModel keys (context/embedding/feed-forward length, head counts with
    head_count_kv = 1 because MLA is stored as MQA, rope base, rms eps, expert (used/group) counts, gating func,
    YaRN scaling) plus DeepseekV2Model's (leading dense blocks, vocab size, q/kv LoRA ranks, key/value lengths
    in the absorbed (latent) and MLA forms, expert ff length, shared experts, weights scale/norm, rope dims,
    yarn_log_multiplier = 0.1 * mscale_all_dim);
  * tensors: kv_b_proj split per head into attn_k_b (transposed: {nope, kv_lora, n_head}) and attn_v_b
    ({kv_lora, v, n_head}); routed experts stacked into 3-D ffn_{gate,up,down}_exps; norms, the router
    (ffn_gate_inp) and exp_probs_b (e_score_correction_bias) in F32; everything else in the output type;
    MTP layers (index >= num_hidden_layers) dropped; lm_head dropped when tie_word_embeddings.
  * vocab: a `gpt2` BPE vocab from tokenizer.json, padded to vocab_size with [PAD<i>] tokens (UNUSED).

One deliberate difference: when q_lora_rank is null we write `deepseek2.attention.q_lora_rank = 0`. llama.cpp's
converter omits the key, and its loader only treats it as optional for 26/27-layer ("lite") models, so an 8-layer
V2-Lite-shaped model would not load otherwise. The value 0 selects the same q_proj path.

Weights are read through memory maps and written one tensor at a time (header first, then data), so memory use
stays around the size of the largest tensor. BF16 sources are copied bit for bit into a BF16 GGUF; FP8 (e4m3,
128x128 block scales) sources are dequantized to f32 first, as llama.cpp's converter does.

Usage: hf_to_gguf.py MODEL_DIR OUT.gguf [--outtype bf16|f16|f32] [--llamacpp-src DIR] [--tokenizer-pre NAME]
"""

import argparse
import json
import os
import struct
import sys
import time
from pathlib import Path

import numpy as np

gguf = None  # imported from the llama.cpp tree in main()


# ----------------------------------------------------------------------------------------------------------------
# safetensors, read-only through np.memmap

ST_DTYPES = {"BF16": np.uint16, "F16": np.float16, "F32": np.float32, "F8_E4M3": np.uint8,
             "I8": np.int8, "U8": np.uint8, "I32": np.int32, "I64": np.int64}


class Checkpoint:
    def __init__(self, folder: Path):
        index = folder / "model.safetensors.index.json"
        if index.is_file():
            files = sorted(set(json.loads(index.read_text())["weight_map"].values()))
        else:
            files = sorted(p.name for p in folder.glob("*.safetensors"))
        if not files:
            raise SystemExit(f"no *.safetensors in {folder}")
        self.entries = {}  # name -> (memmap, st dtype, shape, begin, end)
        for fname in files:
            path = folder / fname
            with open(path, "rb") as f:
                (hlen,) = struct.unpack("<Q", f.read(8))
                header = json.loads(f.read(hlen))
            mm = np.memmap(path, dtype=np.uint8, mode="r")
            base = 8 + hlen
            for name, info in header.items():
                if name == "__metadata__":
                    continue
                b, e = info["data_offsets"]
                self.entries[name] = (mm, info["dtype"], tuple(info["shape"]), base + b, base + e)

    def names(self):
        return list(self.entries)

    def shape(self, name):
        return self.entries[name][2]

    def dtype(self, name):
        return self.entries[name][1]

    def array(self, name):
        """The stored values, without conversion: BF16 comes back as uint16 bit patterns, F8_E4M3 as uint8."""
        mm, dt, shape, b, e = self.entries[name]
        if dt not in ST_DTYPES:
            raise SystemExit(f"{name}: unsupported safetensors dtype {dt}")
        return mm[b:e].view(ST_DTYPES[dt]).reshape(shape)


# ----------------------------------------------------------------------------------------------------------------
# numeric conversions (values travel as (kind, ndarray), kind in bf16 | f16 | f32)

def _e4m3_table():
    t = np.zeros(256, dtype=np.float32)
    for b in range(256):
        s = -1.0 if b & 0x80 else 1.0
        e = (b >> 3) & 0xF
        m = b & 0x7
        if e == 0xF and m == 0x7:
            t[b] = np.nan
        elif e == 0:
            t[b] = s * (m / 8.0) * 2.0 ** -6
        else:
            t[b] = s * (1.0 + m / 8.0) * 2.0 ** (e - 7)
    return t


E4M3 = _e4m3_table()


def bf16_to_f32(a):
    return (a.astype(np.uint32) << 16).view(np.float32)


def f32_to_bf16(a):
    """Round to nearest even, NaN kept quiet (as ggml_compute_fp32_to_bf16)."""
    a = np.ascontiguousarray(a, dtype=np.float32)
    u = a.view(np.uint32)
    r = ((u + (0x7FFF + ((u >> 16) & 1))) >> 16).astype(np.uint16)
    nan = np.isnan(a)
    if nan.any():
        r[nan] = ((u[nan] >> 16) | 0x40).astype(np.uint16)
    return r


def to_f32(kind, a):
    if kind == "bf16":
        return bf16_to_f32(a)
    return np.asarray(a, dtype=np.float32)


def convert(kind, a, out):
    """Convert values of `kind` to the output type; bf16 -> bf16 is a plain copy of the bits."""
    if out == "bf16":
        return np.ascontiguousarray(a) if kind == "bf16" else f32_to_bf16(to_f32(kind, a))
    if out == "f16":
        return np.ascontiguousarray(a) if kind == "f16" else to_f32(kind, a).astype(np.float16)
    if out == "f32":
        return np.ascontiguousarray(to_f32(kind, a))
    raise ValueError(out)


def load(ck: Checkpoint, name, block):
    """Read a tensor as (kind, array): BF16/F16/F32 as stored; FP8 dequantized with its *_scale_inv blocks."""
    dt = ck.dtype(name)
    a = ck.array(name)
    if dt == "BF16":
        return "bf16", a
    if dt == "F16":
        return "f16", a
    if dt == "F32":
        return "f32", a
    if dt == "F8_E4M3":
        sname = name + "_scale_inv"
        if sname not in ck.entries:
            raise SystemExit(f"{name}: FP8 weight without {sname}")
        s = to_f32(*load(ck, sname, block))
        w = E4M3[a]
        br, bc = block
        full = np.repeat(np.repeat(s, br, axis=0), bc, axis=1)[: w.shape[0], : w.shape[1]]
        return "f32", w * full
    raise SystemExit(f"{name}: unsupported dtype {dt}")


# ----------------------------------------------------------------------------------------------------------------
# tensor plan

def build_plan(ck: Checkpoint, cfg, outtype):
    """[(gguf name, numpy shape, out kind, producer)] in the order the data is written."""
    M = gguf.MODEL_TENSOR
    N = gguf.TENSOR_NAMES
    n_layer = cfg["num_hidden_layers"]
    n_head = cfg["num_attention_heads"]
    nope, rope, vdim = cfg["qk_nope_head_dim"], cfg["qk_rope_head_dim"], cfg["v_head_dim"]
    kv_lora = cfg["kv_lora_rank"]
    n_exp = cfg.get("n_routed_experts")
    tie = cfg.get("tie_word_embeddings", False)
    qc = cfg.get("quantization_config") or {}
    block = tuple(qc.get("weight_block_size", (128, 128)))

    per_layer = {
        "input_layernorm.weight": M.ATTN_NORM,
        "post_attention_layernorm.weight": M.FFN_NORM,
        "self_attn.q_proj.weight": M.ATTN_Q,
        "self_attn.q_a_proj.weight": M.ATTN_Q_A,
        "self_attn.q_a_layernorm.weight": M.ATTN_Q_A_NORM,
        "self_attn.q_b_proj.weight": M.ATTN_Q_B,
        "self_attn.kv_a_proj_with_mqa.weight": M.ATTN_KV_A_MQA,
        "self_attn.kv_a_layernorm.weight": M.ATTN_KV_A_NORM,
        "self_attn.o_proj.weight": M.ATTN_OUT,
        "mlp.gate_proj.weight": M.FFN_GATE,
        "mlp.up_proj.weight": M.FFN_UP,
        "mlp.down_proj.weight": M.FFN_DOWN,
        "mlp.gate.weight": M.FFN_GATE_INP,
        "mlp.gate.e_score_correction_bias": M.FFN_EXP_PROBS_B,
        "mlp.shared_experts.gate_proj.weight": M.FFN_GATE_SHEXP,
        "mlp.shared_experts.up_proj.weight": M.FFN_UP_SHEXP,
        "mlp.shared_experts.down_proj.weight": M.FFN_DOWN_SHEXP,
    }
    expert_keys = {"gate_proj": M.FFN_GATE_EXP, "up_proj": M.FFN_UP_EXP, "down_proj": M.FFN_DOWN_EXP}
    f32_keys = {M.FFN_GATE_INP, M.FFN_EXP_PROBS_B}  # llama.cpp keeps the router and its bias in F32

    def gname(key, bid=None, suffix=".weight"):
        return N[key].format(bid=bid) + suffix

    def out_kind(key, shape, gn):
        if len(shape) <= 1 or gn.endswith("_norm.weight") or key in f32_keys or not gn.endswith(".weight"):
            return "f32"
        return outtype

    def plain(name, gn, key):
        shape = ck.shape(name)
        ok = out_kind(key, shape, gn)
        return (gn, shape, ok, lambda: convert(*load(ck, name, block), ok))

    plan, used, skipped = [], set(), []
    experts = {}  # (bid, proj) -> {xid: name}
    layer_items = {}  # bid -> [(suffix, name)]
    for name in ck.names():
        if name.endswith("_scale_inv"):
            used.add(name)
            continue
        if name.startswith("model.layers."):
            rest = name[len("model.layers."):]
            bid_s, suffix = rest.split(".", 1)
            bid = int(bid_s)
            if bid >= n_layer:  # MTP / next-n layers: llama.cpp's converter skips them (skip_mtp)
                skipped.append(name)
                used.add(name)
                continue
            if suffix.startswith("mlp.experts."):
                xid_s, proj, _w = suffix[len("mlp.experts."):].split(".")
                experts.setdefault((bid, proj), {})[int(xid_s)] = name
                used.add(name)
                continue
            layer_items.setdefault(bid, []).append((suffix, name))
        elif name == "lm_head.weight" and tie:
            skipped.append(name)
            used.add(name)

    if "model.embed_tokens.weight" in ck.entries:
        plan.append(plain("model.embed_tokens.weight", gname(M.TOKEN_EMBD), M.TOKEN_EMBD))
        used.add("model.embed_tokens.weight")

    for bid in range(n_layer):
        for suffix, name in layer_items.get(bid, []):
            if suffix == "self_attn.kv_b_proj.weight":
                rows, cols = ck.shape(name)
                if rows != n_head * (nope + vdim) or cols != kv_lora:
                    raise SystemExit(f"{name}: shape {(rows, cols)} != ({n_head}*({nope}+{vdim}), {kv_lora})")

                def kb(name=name):
                    kind, a = load(ck, name, block)
                    a = a.reshape(n_head, nope + vdim, kv_lora)[:, :nope, :].transpose(0, 2, 1)
                    return convert(kind, np.ascontiguousarray(a), outtype)

                def vb(name=name):
                    kind, a = load(ck, name, block)
                    return convert(kind, np.ascontiguousarray(a.reshape(n_head, nope + vdim, kv_lora)[:, nope:, :]),
                                   outtype)

                plan.append((gname(M.ATTN_K_B, bid), (n_head, kv_lora, nope), outtype, kb))
                plan.append((gname(M.ATTN_V_B, bid), (n_head, vdim, kv_lora), outtype, vb))
                used.add(name)
                continue
            key = per_layer.get(suffix)
            if key is None:
                continue  # reported below as unmapped
            gn = gname(key, bid, ".bias" if key == M.FFN_EXP_PROBS_B else ".weight")
            plan.append(plain(name, gn, key))
            used.add(name)
        for proj in ("down_proj", "gate_proj", "up_proj"):  # the order llama.cpp's converter emits them
            got = experts.get((bid, proj))
            if not got:
                continue
            if sorted(got) != list(range(n_exp)):
                raise SystemExit(f"layer {bid} {proj}: experts {sorted(got)[:4]}... != 0..{n_exp - 1}")
            names = [got[x] for x in range(n_exp)]
            shape = (n_exp,) + tuple(ck.shape(names[0]))

            def stacked(names=names):
                parts = [load(ck, n, block) for n in names]
                kinds = {k for k, _ in parts}
                if len(kinds) == 1 and outtype == next(iter(kinds)):
                    return np.ascontiguousarray(np.stack([a for _, a in parts]))
                return np.stack([convert(k, a, outtype) for k, a in parts])

            plan.append((gname(expert_keys[proj], bid), shape, outtype, stacked))

    for name, key in (("model.norm.weight", M.OUTPUT_NORM), ("lm_head.weight", M.OUTPUT)):
        if name in ck.entries and name not in used:
            plan.append(plain(name, gname(key), key))
            used.add(name)

    unmapped = [n for n in ck.names() if n not in used]
    if unmapped:
        raise SystemExit("tensors with no llama.cpp name: " + ", ".join(unmapped[:10]))
    return plan, skipped


def check_required(plan, cfg):
    """The tensors llama.cpp's deepseek2 loader requires (llama_model_deepseek2::load_arch_tensors)."""
    have = {p[0] for p in plan}
    need = ["token_embd.weight", "output_norm.weight"]
    if not cfg.get("tie_word_embeddings", False):
        need.append("output.weight")
    dense = cfg.get("first_k_dense_replace") or 0
    for i in range(cfg["num_hidden_layers"]):
        b = f"blk.{i}."
        need += [b + "attn_norm.weight", b + "attn_kv_a_norm.weight", b + "attn_kv_a_mqa.weight",
                 b + "attn_k_b.weight", b + "attn_v_b.weight", b + "attn_output.weight", b + "ffn_norm.weight"]
        if cfg.get("q_lora_rank"):
            need += [b + "attn_q_a_norm.weight", b + "attn_q_a.weight", b + "attn_q_b.weight"]
        else:
            need += [b + "attn_q.weight"]
        if i < dense:
            need += [b + "ffn_gate.weight", b + "ffn_up.weight", b + "ffn_down.weight"]
        else:
            need += [b + "ffn_gate_inp.weight", b + "ffn_gate_exps.weight", b + "ffn_up_exps.weight",
                     b + "ffn_down_exps.weight", b + "ffn_gate_shexp.weight", b + "ffn_up_shexp.weight",
                     b + "ffn_down_shexp.weight"]
    missing = [n for n in need if n not in have]
    if missing:
        raise SystemExit("checkpoint lacks tensors llama.cpp requires: " + ", ".join(missing[:10]))


# ----------------------------------------------------------------------------------------------------------------
# metadata

def file_type(outtype):
    return {"bf16": gguf.LlamaFileType.MOSTLY_BF16, "f16": gguf.LlamaFileType.MOSTLY_F16,
            "f32": gguf.LlamaFileType.ALL_F32}[outtype]


def write_hparams(w, cfg, outtype, name):
    K = gguf.Keys
    arch = w.arch
    w.add_type(gguf.GGUFType.MODEL)
    w.add_name(name)
    # TextModel.set_gguf_parameters
    w.add_block_count(cfg["num_hidden_layers"])
    w.add_context_length(cfg["max_position_embeddings"])
    w.add_embedding_length(cfg["hidden_size"])
    w.add_feed_forward_length(cfg["intermediate_size"])
    w.add_head_count(cfg["num_attention_heads"])
    w.add_head_count_kv(1)  # MLA stored as MQA over the latent (DeepseekV2Model sets num_key_value_heads = 1)
    rs = cfg.get("rope_scaling") or {}
    rtype = rs.get("rope_type", rs.get("type"))
    if rtype == "yarn" and rs.get("factor") is not None:
        w.add_rope_scaling_type(gguf.RopeScalingType.YARN)
        w.add_rope_scaling_factor(rs["factor"])
        w.add_rope_scaling_orig_ctx_len(rs["original_max_position_embeddings"])
        if rs.get("extrapolation_factor") is not None:
            w.add_rope_scaling_yarn_ext_factor(rs["extrapolation_factor"])
        af = rs.get("attention_factor", rs.get("attn_factor"))
        if af is not None:
            w.add_rope_scaling_yarn_attn_factor(af)
        if rs.get("beta_fast") is not None:
            w.add_rope_scaling_yarn_beta_fast(rs["beta_fast"])
        if rs.get("beta_slow") is not None:
            w.add_rope_scaling_yarn_beta_slow(rs["beta_slow"])
    elif rtype == "linear" and rs.get("factor") is not None:
        w.add_rope_scaling_type(gguf.RopeScalingType.LINEAR)
        w.add_rope_scaling_factor(rs["factor"])
    elif rtype not in (None, "default"):
        print(f"warning: rope_scaling type {rtype!r} not written", file=sys.stderr)
    w.add_rope_freq_base(cfg.get("rope_theta", 10000.0))
    w.add_layer_norm_rms_eps(cfg.get("rms_norm_eps", 1e-6))
    if cfg.get("n_routed_experts") is not None:
        w.add_expert_count(cfg["n_routed_experts"])
    if cfg.get("num_experts_per_tok") is not None:
        w.add_expert_used_count(cfg["num_experts_per_tok"])
    if cfg.get("n_group") is not None:
        w.add_expert_group_count(cfg["n_group"])
    if cfg.get("topk_group") is not None:
        w.add_expert_group_used_count(cfg["topk_group"])
    sf = cfg.get("scoring_func")
    if sf is not None:
        w.add_expert_gating_func({"softmax": gguf.ExpertGatingFuncType.SOFTMAX,
                                  "sigmoid": gguf.ExpertGatingFuncType.SIGMOID}[sf])
    w.add_file_type(file_type(outtype))
    # DeepseekV2Model.set_gguf_parameters
    has_moe = cfg.get("n_routed_experts") is not None
    dense = cfg.get("first_k_dense_replace")
    if dense is None:
        dense = 0 if has_moe else cfg["num_hidden_layers"]
    w.add_leading_dense_block_count(dense)
    kv_lora = cfg.get("kv_lora_rank", 512)
    w.add_vocab_size(cfg["vocab_size"])
    # see the module docstring: 0 instead of omitting the key, so that non-26/27-layer lite models load
    w.add_q_lora_rank(cfg["q_lora_rank"] if cfg.get("q_lora_rank") else 0)
    w.add_kv_lora_rank(kv_lora)
    w.add_key_length(kv_lora + cfg["qk_rope_head_dim"])
    w.add_value_length(kv_lora)
    w.add_key_length_mla(cfg["qk_nope_head_dim"] + cfg["qk_rope_head_dim"])
    w.add_value_length_mla(cfg["v_head_dim"])
    w.add_expert_feed_forward_length(cfg.get("moe_intermediate_size", cfg["intermediate_size"]))
    w.add_expert_shared_count(cfg.get("n_shared_experts") or 0)
    if cfg.get("routed_scaling_factor") is not None:
        w.add_expert_weights_scale(cfg["routed_scaling_factor"])
    if cfg.get("norm_topk_prob"):
        w.add_expert_weights_norm(True)
    w.add_rope_dimension_count(cfg["qk_rope_head_dim"])
    if rs.get("mscale_all_dim") is not None:
        # [TAG_DEEPSEEK2_YARN_LOG_MUL_FIX]: the converter stores 0.1 * mscale_all_dim, the loader divides by 0.1
        w.add_rope_scaling_yarn_log_mul(0.1 * rs["mscale_all_dim"])
    w.add_quantization_version(gguf.GGML_QUANT_VERSION)
    if cfg.get("topk_method") == "group_limited_greedy" and (cfg.get("n_group") or 1) > 1:
        print("note: llama.cpp ranks expert groups by the sum of their top-2 scores (V3's rule), not by the max "
              "(V2's group_limited_greedy); routing can differ from r1 on this config", file=sys.stderr)


def token_id(tok, vocab, added):
    if tok is None:
        return None
    if isinstance(tok, dict):
        tok = tok.get("content")
    for i, a in added.items():
        if a["content"] == tok:
            return i
    return vocab.get(tok)


def write_vocab(w, folder: Path, cfg, pre):
    tj = json.loads((folder / "tokenizer.json").read_text(encoding="utf-8"))
    model = tj["model"]
    if model.get("type") != "BPE":
        raise SystemExit(f"tokenizer.json model type {model.get('type')!r}: only byte-level BPE is handled")
    vocab = model["vocab"]
    added = {a["id"]: a for a in tj.get("added_tokens", [])}
    n_vocab = cfg["vocab_size"]
    id2tok = {i: t for t, i in vocab.items()}
    for i, a in added.items():
        id2tok[i] = a["content"]
    if id2tok and max(id2tok) >= n_vocab:
        raise SystemExit(f"tokenizer has id {max(id2tok)} >= vocab_size {n_vocab}")
    TT = gguf.TokenType
    tokens, types = [], []
    for i in range(n_vocab):
        if i not in id2tok:
            tokens.append(f"[PAD{i}]")
            types.append(TT.UNUSED)
        elif i in added:
            c = added[i]["content"]
            special = added[i].get("special", False) or (c.startswith("<｜") and c.endswith("｜>")) \
                or (c.startswith("<|") and c.endswith("|>"))
            tokens.append(c)
            types.append(TT.CONTROL if special else TT.USER_DEFINED)
        else:
            tokens.append(id2tok[i])
            types.append(TT.NORMAL)
    merges = [m if isinstance(m, str) else " ".join(m) for m in model.get("merges", [])]
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre(pre)
    w.add_token_list(tokens)
    w.add_token_types(types)
    w.add_token_merges(merges)
    tc = {}
    if (folder / "tokenizer_config.json").is_file():
        tc = json.loads((folder / "tokenizer_config.json").read_text(encoding="utf-8"))
    bos = token_id(tc.get("bos_token"), vocab, added)
    eos = token_id(tc.get("eos_token"), vocab, added)
    pad = token_id(tc.get("pad_token"), vocab, added)
    bos = cfg.get("bos_token_id") if bos is None else bos
    eos = cfg.get("eos_token_id") if eos is None else eos
    if bos is not None:
        w.add_bos_token_id(bos)
    if eos is not None:
        w.add_eos_token_id(eos)
    if pad is not None:
        w.add_pad_token_id(pad)
    w.add_add_bos_token(bool(tc.get("add_bos_token", True)))
    w.add_add_eos_token(bool(tc.get("add_eos_token", False)))
    if isinstance(tc.get("chat_template"), str):
        w.add_chat_template(tc["chat_template"])
    return len(id2tok), len(merges)


# ----------------------------------------------------------------------------------------------------------------

GGML_TYPE = {"bf16": "BF16", "f16": "F16", "f32": "F32"}


def main():
    global gguf
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model", type=Path, help="Hugging Face folder (config.json, *.safetensors, tokenizer.json)")
    ap.add_argument("outfile", type=Path)
    ap.add_argument("--outtype", choices=["bf16", "f16", "f32"], default="bf16")
    ap.add_argument("--llamacpp-src", default=os.environ.get("LLAMACPP_SRC", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "llamacpp-src")),
                    help="llama.cpp tree whose gguf-py is used (default $LLAMACPP_SRC or llamacpp-src beside the checkout)")
    ap.add_argument("--tokenizer-pre", default="default",
                    help="tokenizer.ggml.pre (llama-bench never tokenizes; 'deepseek-v3' / 'deepseek-llm' for the "
                         "published tokenizers)")
    args = ap.parse_args()

    sys.path.insert(0, str(Path(args.llamacpp_src) / "gguf-py"))
    import gguf as _gguf
    gguf = _gguf

    t0 = time.time()
    cfg = json.loads((args.model / "config.json").read_text())
    archs = cfg.get("architectures") or []
    dense = {"Qwen2ForCausalLM": gguf.MODEL_ARCH.QWEN2, "LlamaForCausalLM": gguf.MODEL_ARCH.LLAMA}
    if not set(archs) & ({"DeepseekV2ForCausalLM", "DeepseekV3ForCausalLM"} | set(dense)):
        raise SystemExit(f"architectures {archs}: expected DeepseekV2/V3ForCausalLM, Qwen2ForCausalLM or LlamaForCausalLM")
    cfg.setdefault("num_key_value_heads", cfg["num_attention_heads"])

    ck = Checkpoint(args.model)
    if archs[0] in dense:  # the R1-Distill families (gguf_dense.py)
        import gguf_dense
        plan, skipped = gguf_dense.build_plan(gguf, ck, cfg, args.outtype, load, convert)
        arch = gguf.MODEL_ARCH_NAMES[dense[archs[0]]]
    else:
        plan, skipped = build_plan(ck, cfg, args.outtype)
        check_required(plan, cfg)
        arch = gguf.MODEL_ARCH_NAMES[gguf.MODEL_ARCH.DEEPSEEK2]
    args.outfile.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.outfile.with_name(args.outfile.name + ".part")
    w = gguf.GGUFWriter(tmp, arch)
    if archs[0] in dense:
        gguf_dense.write_hparams(gguf, w, cfg, file_type(args.outtype), args.model.name)
    else:
        write_hparams(w, cfg, args.outtype, args.model.name)
    n_tok, n_merges = write_vocab(w, args.model, cfg, args.tokenizer_pre)

    QT = gguf.GGMLQuantizationType
    np_dtype = {"bf16": np.uint16, "f16": np.float16, "f32": np.float32}
    for gn, shape, kind, _ in plan:
        nbytes = int(np.prod(shape)) * np.dtype(np_dtype[kind]).itemsize
        w.add_tensor_info(gn, shape, np.dtype(np_dtype[kind]), nbytes, raw_dtype=getattr(QT, GGML_TYPE[kind]))
    w.write_header_to_file(path=tmp)
    w.write_kv_data_to_file()
    w.write_ti_data_to_file()
    n_params = 0
    for gn, shape, kind, produce in plan:
        data = produce()
        if tuple(data.shape) != tuple(shape) or data.dtype != np_dtype[kind]:
            raise SystemExit(f"{gn}: produced {data.shape} {data.dtype}, planned {shape} {kind}")
        w.write_tensor_data(data)
        n_params += data.size
        del data
    w.close()
    os.replace(tmp, args.outfile)

    counts = {}
    for _, _, kind, _ in plan:
        counts[kind] = counts.get(kind, 0) + 1
    print(f"wrote {args.outfile}: arch {arch}, {len(plan)} tensors ({', '.join(f'{v} {k}' for k, v in counts.items())}), "
          f"{n_params / 1e6:.1f} M parameters, {args.outfile.stat().st_size / 1e6:.1f} MB, vocab {cfg['vocab_size']} "
          f"({n_tok} from tokenizer.json, {n_merges} merges), {time.time() - t0:.1f} s"
          + (f"; skipped {len(skipped)} tensors (MTP layers / tied lm_head)" if skipped else ""))


if __name__ == "__main__":
    main()
