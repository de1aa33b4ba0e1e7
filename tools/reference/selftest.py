#!/usr/bin/env python3
"""Self-test for deepseek_ref.py, independent of r1.cpp.

It writes tiny random Hugging Face checkpoint folders into a temp dir and checks:
  * number formats: the E4M3 decode table and an FP8 block-dequant hand example
    (partial edge blocks), BF16 decoding;
  * MoE routing on hand-made examples (greedy, group_limited_greedy, noaux_tc,
    including a case where the bias changes the chosen expert while the weights
    still come from the unbiased scores);
  * RoPE / YaRN on hand values;
  * on four model variants (V2-Lite-like, V2-like, V3-like with an MTP layer
    that must be ignored, FP8 V3-like with partial blocks sharded over two
    files): naive == absorbed attention, float32 ~ float64, causality, a
    one-token attention hand check, FP8 == its dequantized float32 twin, and
    the CLI's JSON output.

Usage: /usr/bin/python3 tools/reference/selftest.py [--keep DIR]
Exit status 0 when every check passes.
"""

import argparse
import json
import math
import os
import struct
import subprocess
import sys
import tempfile

import numpy as np
import torch

sys.dont_write_bytecode = True  # keep tools/reference/ free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import deepseek_ref as ref  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
FAILURES = []


def check(ok, what):
    print(("  ok    " if ok else "  FAIL  ") + what)
    if not ok:
        FAILURES.append(what)


def rel_diff(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-30))


# ============================================================================
# Writing checkpoints
# ============================================================================

def f32_to_bf16_bits(x):
    """float32 -> bfloat16 bit patterns, round to nearest even."""
    bits = np.asarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16
    return rounded.astype(np.uint16)


def e4m3_positive_grid():
    """The 127 finite non-negative E4M3 values for codes 0x00..0x7E, built from bit fields
    a different way than the module under test: normals by assembling float32 bits."""
    vals = []
    for code in range(0x7F):
        e, m = code >> 3, code & 7
        if e == 0:
            vals.append(m * 2.0 ** -9)  # m/8 * 2^-6
        else:
            f32_bits = ((e - 7 + 127) << 23) | (m << 20)
            vals.append(struct.unpack("<f", struct.pack("<I", f32_bits))[0])
    return np.array(vals, dtype=np.float32)


E4M3_GRID = e4m3_positive_grid()  # increasing


def quantize_e4m3(x):
    """Nearest E4M3 code for each value of x (|x| <= 448). Returns (codes uint8, values f32)."""
    mag = np.abs(x).astype(np.float32)
    hi = np.clip(np.searchsorted(E4M3_GRID, mag), 1, len(E4M3_GRID) - 1)
    lo = hi - 1
    pick = np.where(mag - E4M3_GRID[lo] <= E4M3_GRID[hi] - mag, lo, hi)
    codes = pick.astype(np.uint8) | np.where(x < 0, 0x80, 0).astype(np.uint8)
    values = np.where(x < 0, -E4M3_GRID[pick], E4M3_GRID[pick]).astype(np.float32)
    return codes, values


def quantize_blockwise(w, block=128):
    """w [out, in] f32 -> (codes uint8, scale_inv f32 [ceil(out/b), ceil(in/b)], dequantized f32)."""
    out_dim, in_dim = w.shape
    nb0, nb1 = -(-out_dim // block), -(-in_dim // block)
    codes = np.zeros(w.shape, np.uint8)
    deq = np.zeros(w.shape, np.float32)
    scale_inv = np.zeros((nb0, nb1), np.float32)
    for bi in range(nb0):
        for bj in range(nb1):
            rows = slice(bi * block, (bi + 1) * block)
            cols = slice(bj * block, (bj + 1) * block)
            tile = w[rows, cols]
            s = np.float32(max(float(np.max(np.abs(tile))), 1e-12) / 448.0)
            c, v = quantize_e4m3(tile / s)
            codes[rows, cols] = c
            deq[rows, cols] = v * s  # f32 product, as the reader computes it
            scale_inv[bi, bj] = s
    return codes, scale_inv, deq


def write_safetensors(path, tensors):
    """tensors: name -> (dtype string, numpy array already in storage form)."""
    header, blobs, offset = {"__metadata__": {"format": "pt"}}, [], 0
    for name, (dtype, arr) in tensors.items():
        data = np.ascontiguousarray(arr).tobytes()
        header[name] = {"dtype": dtype, "shape": list(arr.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    head = json.dumps(header).encode()
    head += b" " * (-len(head) % 8)  # keep the data area 8-byte aligned, as real writers do
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(head)))
        f.write(head)
        for b in blobs:
            f.write(b)


def write_checkpoint(folder, config, tensors, shards=1):
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    if shards == 1:
        write_safetensors(os.path.join(folder, "model.safetensors"), tensors)
        return
    names = list(tensors)
    parts = [dict() for _ in range(shards)]
    for k, name in enumerate(names):
        # keep a weight and its scale_inv in different shards when possible, to test the index
        parts[k % shards][name] = tensors[name]
    weight_map = {}
    for s, part in enumerate(parts):
        fname = f"model-{s + 1:05d}-of-{shards:05d}.safetensors"
        write_safetensors(os.path.join(folder, fname), part)
        weight_map.update({n: fname for n in part})
    with open(os.path.join(folder, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": 0}, "weight_map": weight_map}, f, indent=2)


# ============================================================================
# Tiny model variants
# ============================================================================

BASE = dict(
    vocab_size=320, hidden_size=64, intermediate_size=96, moe_intermediate_size=24,
    num_hidden_layers=3, num_attention_heads=4, num_key_value_heads=4,
    q_lora_rank=None, kv_lora_rank=32, qk_nope_head_dim=16, qk_rope_head_dim=8, v_head_dim=12,
    n_routed_experts=8, n_shared_experts=2, num_experts_per_tok=2,
    first_k_dense_replace=1, moe_layer_freq=1,
    scoring_func="softmax", topk_method="greedy", n_group=1, topk_group=1,
    norm_topk_prob=False, routed_scaling_factor=1.0,
    rope_theta=10000.0, rope_scaling=None, rms_norm_eps=1e-6,
    max_position_embeddings=2048, tie_word_embeddings=False,
    bos_token_id=0, eos_token_id=1, hidden_act="silu", attention_bias=False,
)


def yarn(mscale, mscale_all_dim):
    return {"type": "yarn", "factor": 40, "original_max_position_embeddings": 4096,
            "beta_fast": 32, "beta_slow": 1, "mscale": mscale, "mscale_all_dim": mscale_all_dim}


VARIANTS = {
    # V2-Lite: no q LoRA, softmax greedy routing, YaRN (mscale == mscale_all_dim), F32 storage.
    "v2-lite": dict(architectures=["DeepseekV2ForCausalLM"], rope_scaling=yarn(0.707, 0.707)),
    # V2: q LoRA, group-limited greedy (4 groups, keep 2), one MoE layer of four (freq 2),
    # YaRN with mscale != mscale_all_dim (cos/sin scaled), BF16 storage.
    "v2": dict(architectures=["DeepseekV2ForCausalLM"], q_lora_rank=48, num_hidden_layers=4,
               moe_layer_freq=2, topk_method="group_limited_greedy", n_group=4, topk_group=2,
               routed_scaling_factor=4.0, rope_scaling=yarn(1.0, 0.0)),
    # V3: sigmoid + noaux_tc bias, groups, normalized weights x2.5, tied embeddings,
    # one MTP layer full of NaNs that must never be read, BF16 storage.
    "v3": dict(architectures=["DeepseekV3ForCausalLM"], q_lora_rank=48, scoring_func="sigmoid",
               topk_method="noaux_tc", n_group=4, topk_group=2, norm_topk_prob=True,
               routed_scaling_factor=2.5, n_shared_experts=1, tie_word_embeddings=True,
               num_nextn_predict_layers=1, rope_scaling=yarn(1.0, 1.0)),
    # V3 FP8: dims not multiples of 128 (partial edge blocks), 2 shards, no rope scaling.
    "v3-fp8": dict(architectures=["DeepseekV3ForCausalLM"], vocab_size=300, hidden_size=160,
                   intermediate_size=200, moe_intermediate_size=136, num_hidden_layers=2,
                   num_attention_heads=3, num_key_value_heads=3, q_lora_rank=150, kv_lora_rank=144,
                   qk_nope_head_dim=32, qk_rope_head_dim=16, v_head_dim=40,
                   scoring_func="sigmoid", topk_method="noaux_tc", n_group=4, topk_group=2,
                   norm_topk_prob=True, routed_scaling_factor=2.5, n_shared_experts=1,
                   num_nextn_predict_layers=1,
                   quantization_config={"quant_method": "fp8", "fmt": "e4m3",
                                        "activation_scheme": "dynamic", "weight_block_size": [128, 128]}),
}


def make_config(variant):
    cfg = dict(BASE)
    cfg.update(VARIANTS[variant])
    cfg["model_type"] = "deepseek_v3" if "V3" in cfg["architectures"][0] else "deepseek_v2"
    return cfg


def layer_shapes(cfg, i, moe):
    """name -> (shape, kind) of one decoder layer; kind is 'norm', 'linear', 'gate' or 'bias'."""
    H, nh = cfg["hidden_size"], cfg["num_attention_heads"]
    dn, dr, dv, C = cfg["qk_nope_head_dim"], cfg["qk_rope_head_dim"], cfg["v_head_dim"], cfg["kv_lora_rank"]
    p = f"model.layers.{i}."
    s = {p + "input_layernorm.weight": ([H], "norm"), p + "post_attention_layernorm.weight": ([H], "norm")}
    a = p + "self_attn."
    if cfg["q_lora_rank"] is None:
        s[a + "q_proj.weight"] = ([nh * (dn + dr), H], "linear")
    else:
        R = cfg["q_lora_rank"]
        s[a + "q_a_proj.weight"] = ([R, H], "linear")
        s[a + "q_a_layernorm.weight"] = ([R], "norm")
        s[a + "q_b_proj.weight"] = ([nh * (dn + dr), R], "linear")
    s[a + "kv_a_proj_with_mqa.weight"] = ([C + dr, H], "linear")
    s[a + "kv_a_layernorm.weight"] = ([C], "norm")
    s[a + "kv_b_proj.weight"] = ([nh * (dn + dv), C], "linear")
    s[a + "o_proj.weight"] = ([H, nh * dv], "linear")

    def mlp(prefix, inter):
        s[prefix + "gate_proj.weight"] = ([inter, H], "linear")
        s[prefix + "up_proj.weight"] = ([inter, H], "linear")
        s[prefix + "down_proj.weight"] = ([H, inter], "linear")

    if moe:
        E, I = cfg["n_routed_experts"], cfg["moe_intermediate_size"]
        s[p + "mlp.gate.weight"] = ([E, H], "gate")
        if cfg["topk_method"] == "noaux_tc":
            s[p + "mlp.gate.e_score_correction_bias"] = ([E], "bias")
        for j in range(E):
            mlp(f"{p}mlp.experts.{j}.", I)
        if cfg["n_shared_experts"]:
            mlp(p + "mlp.shared_experts.", cfg["n_shared_experts"] * I)
    else:
        mlp(p + "mlp.", cfg["intermediate_size"])
    return s


def random_value(rng, shape, kind):
    if kind == "norm":
        return (1.0 + 0.1 * rng.standard_normal(shape)).astype(np.float32)
    if kind == "bias":
        return (0.1 * rng.standard_normal(shape)).astype(np.float32)
    if kind == "embed":  # small enough that tied embeddings do not just echo the last token
        return (0.25 * rng.standard_normal(shape)).astype(np.float32)
    fan_in = shape[1]
    gain = 2.0 if kind == "gate" else 1.0  # sharper router so routing is not all near-ties
    return (gain * rng.standard_normal(shape) / math.sqrt(fan_in)).astype(np.float32)


def build_variant(root, variant, seed):
    """Write folder root/variant (and root/variant-f32 twin for FP8). Returns the folder path."""
    cfg = make_config(variant)
    rng = np.random.default_rng(seed)
    V, H = cfg["vocab_size"], cfg["hidden_size"]
    fp8 = cfg.get("quantization_config") is not None
    storage = "F32" if variant == "v2-lite" else "BF16"

    shapes = {"model.embed_tokens.weight": ([V, H], "embed"), "model.norm.weight": ([H], "norm")}
    if not cfg["tie_word_embeddings"]:
        shapes["lm_head.weight"] = ([V, H], "linear")
    for i in range(cfg["num_hidden_layers"]):
        moe = i >= cfg["first_k_dense_replace"] and i % cfg["moe_layer_freq"] == 0
        shapes.update(layer_shapes(cfg, i, moe))

    tensors, twin = {}, {}  # storage form / exact float32 values
    for name, (shape, kind) in shapes.items():
        w = random_value(rng, shape, kind)
        if kind == "bias":
            tensors[name] = ("F32", w)
            twin[name] = ("F32", w)
        elif fp8 and kind == "linear" and name.startswith("model.layers."):
            codes, scale_inv, deq = quantize_blockwise(w)
            tensors[name] = ("F8_E4M3", codes)
            tensors[name + "_scale_inv"] = ("F32", scale_inv)
            twin[name] = ("F32", deq)
        elif storage == "BF16":
            bits = f32_to_bf16_bits(w)
            tensors[name] = ("BF16", bits)
            twin[name] = ("F32", ref.bf16_bits_to_f32(bits))
        else:
            tensors[name] = ("F32", w)
            twin[name] = ("F32", w)

    # Multi-token-prediction module at index num_hidden_layers: NaN everywhere, must be ignored.
    for _ in range(cfg.get("num_nextn_predict_layers", 0)):
        m = cfg["num_hidden_layers"]
        mtp = layer_shapes(cfg, m, moe=True)
        for extra in ("enorm.weight", "hnorm.weight", "shared_head.norm.weight"):
            mtp[f"model.layers.{m}.{extra}"] = ([H], "norm")
        mtp[f"model.layers.{m}.eh_proj.weight"] = ([H, 2 * H], "linear")
        mtp[f"model.layers.{m}.shared_head.head.weight"] = ([V, H], "linear")
        for name, (shape, _) in mtp.items():
            tensors[name] = ("F32", np.full(shape, np.nan, np.float32))

    folder = os.path.join(root, variant)
    write_checkpoint(folder, cfg, tensors, shards=2 if fp8 else 1)
    if fp8:
        twin_cfg = dict(cfg)
        del twin_cfg["quantization_config"]
        write_checkpoint(os.path.join(root, variant + "-f32"), twin_cfg, twin)
    return folder


# ============================================================================
# Unit checks
# ============================================================================

def test_number_formats(tmp):
    print("number formats")
    t = ref.E4M3_TABLE
    hand = {0x00: 0.0, 0x01: 2.0 ** -9, 0x07: 7 * 2.0 ** -9, 0x08: 2.0 ** -6, 0x38: 1.0, 0x3C: 1.5,
            0x40: 2.0, 0x7E: 448.0, 0xFE: -448.0, 0xB8: -1.0, 0x81: -(2.0 ** -9), 0x77: 240.0}
    check(all(t[k] == v for k, v in hand.items()), "E4M3 hand values (subnormal, 1, 1.5, 448, -448, ...)")
    check(np.isnan(t[0x7F]) and np.isnan(t[0xFF]) and int(np.isnan(t).sum()) == 2, "E4M3 NaN only at 0x7F/0xFF")
    check(t[0x80] == 0 and np.signbit(t[0x80]), "E4M3 0x80 is -0")
    check(np.array_equal(t[:0x7F], E4M3_GRID) and np.array_equal(t[0x80:0xFF], -E4M3_GRID),
          "E4M3 table == independently built grid")
    check(np.max(t[np.isfinite(t)]) == 448.0, "E4M3 max finite 448")

    bf = ref.bf16_bits_to_f32(np.array([0x3F80, 0xC000, 0x3FC0, 0x0000], np.uint16))
    check(list(bf) == [1.0, -2.0, 1.5, 0.0], "BF16 decode hand values")

    # FP8 block dequant with partial edge blocks: weight [130, 129] -> scale_inv [2, 2].
    codes = np.zeros((130, 129), np.uint8)
    codes[0, 0] = 0x38      # 1.0   in block (0, 0)
    codes[127, 127] = 0x3C  # 1.5   in block (0, 0), last element
    codes[0, 128] = 0x40    # 2.0   in block (0, 1), a 128x1 partial block
    codes[128, 0] = 0xB8    # -1.0  in block (1, 0), a 2x128 partial block
    codes[129, 128] = 0x7E  # 448   in block (1, 1), a 2x1 partial block
    codes[5, 6] = 0x01      # 2^-9  subnormal
    scale_inv = np.array([[0.5, 2.0], [4.0, 0.25]], np.float32)
    path = os.path.join(tmp, "fp8_hand.safetensors")
    write_safetensors(path, {"w.weight": ("F8_E4M3", codes), "w.weight_scale_inv": ("F32", scale_inv)})
    f = ref.SafetensorsFile(path)
    w = ref.dequantize_blockwise(f.read("w.weight"), f.read("w.weight_scale_inv"), (128, 128))
    expect = {(0, 0): 0.5, (127, 127): 0.75, (0, 128): 4.0, (128, 0): -4.0, (129, 128): 112.0,
              (5, 6): 2.0 ** -10, (1, 1): 0.0}
    check(w.shape == (130, 129) and all(w[k] == v for k, v in expect.items()),
          "FP8 dequant hand example with partial edge blocks")


def route(logits, **kw):
    w, idx = ref.route(torch.tensor([logits], dtype=torch.float64), **kw)
    return dict(zip(idx[0].tolist(), w[0].tolist()))


def close(got, want):
    return set(got) == set(want) and all(abs(got[k] - want[k]) < 1e-12 for k in want)


def test_routing():
    print("routing")
    logit = lambda p: math.log(p / (1 - p))  # noqa: E731  sigmoid(logit(p)) == p

    # softmax + greedy (V2-Lite): softmax(log p) == p; no normalization; x1.0
    p = [0.1, 0.4, 0.2, 0.3]
    got = route([math.log(x) for x in p], scoring_func="softmax", topk_method="greedy", n_group=1,
                topk_group=1, top_k=2, norm_topk_prob=False, routed_scaling_factor=1.0)
    check(close(got, {1: 0.4, 3: 0.3}), f"softmax greedy -> {got}")

    # softmax + group_limited_greedy (V2): groups (0,1)(2,3)(4,5)(6,7), group score = max.
    # maxes 0.30, 0.15, 0.20, 0.10 -> keep groups 0 and 2 -> experts 0 and 4, even though
    # expert 2 (0.15) and 3 (0.14) make group 1 the stronger group by sum.
    p = [0.30, 0.02, 0.15, 0.14, 0.20, 0.03, 0.10, 0.06]
    got = route([math.log(x) for x in p], scoring_func="softmax", topk_method="group_limited_greedy",
                n_group=4, topk_group=2, top_k=2, norm_topk_prob=False, routed_scaling_factor=16.0)
    check(close(got, {0: 0.30 * 16, 4: 0.20 * 16}), f"softmax group_limited_greedy (group max) -> {got}")

    # Same scores with top_k 3: best three inside groups {0, 2}: 0, 4, 5 (not 2 or 3).
    got = route([math.log(x) for x in p], scoring_func="softmax", topk_method="group_limited_greedy",
                n_group=4, topk_group=2, top_k=3, norm_topk_prob=False, routed_scaling_factor=1.0)
    check(close(got, {0: 0.30, 4: 0.20, 5: 0.03}), f"group mask excludes experts 2, 3 -> {got}")

    # sigmoid + noaux_tc, bias changes the choice: s = [.9 .8 .7 .1], bias makes c[2] = .85 > .8.
    # Chosen {0, 2}; weights from UNBIASED s: [.9, .7] / 1.6 * 2.5.
    s = [0.9, 0.8, 0.7, 0.1]
    got = route([logit(x) for x in s], scoring_func="sigmoid", topk_method="noaux_tc", n_group=1,
                topk_group=1, top_k=2, norm_topk_prob=True, routed_scaling_factor=2.5,
                bias=torch.tensor([0.0, 0.0, 0.15, 0.0], dtype=torch.float64))
    check(close(got, {0: 0.9 / 1.6 * 2.5, 2: 0.7 / 1.6 * 2.5}),
          f"noaux_tc: bias picks expert 2 over 1, weights unbiased -> {got}")
    got = route([logit(x) for x in s], scoring_func="sigmoid", topk_method="noaux_tc", n_group=1,
                topk_group=1, top_k=2, norm_topk_prob=True, routed_scaling_factor=2.5,
                bias=torch.zeros(4, dtype=torch.float64))
    check(close(got, {0: 0.9 / 1.7 * 2.5, 1: 0.8 / 1.7 * 2.5}), f"noaux_tc: zero bias picks 0, 1 -> {got}")

    # sigmoid + noaux_tc with groups: group score = sum of the two largest biased scores.
    # s = [.95 .05 | .6 .55 | .8 .1 | .3 .2]: sums 1.0, 1.15, 0.9, 0.5 -> keep groups 1, 0
    # -> experts 0 (.95) and 2 (.6); expert 4 (.8, second best overall) is excluded.
    s = [0.95, 0.05, 0.6, 0.55, 0.8, 0.1, 0.3, 0.2]
    got = route([logit(x) for x in s], scoring_func="sigmoid", topk_method="noaux_tc", n_group=4,
                topk_group=2, top_k=2, norm_topk_prob=True, routed_scaling_factor=2.5,
                bias=torch.zeros(8, dtype=torch.float64))
    check(close(got, {0: 0.95 / 1.55 * 2.5, 2: 0.6 / 1.55 * 2.5}), f"noaux_tc groups: top-2 sum -> {got}")

    # Bias moves the group choice: bias +.25 on expert 6 and +.5 on expert 7 gives
    # c = [.95 .05 | .6 .55 | .8 .1 | .55 .7]; top-2 sums 1.0, 1.15, 0.9, 1.25 -> keep groups 3, 1
    # -> experts 7 (c .7) and 2 (c .6); the best unbiased expert 0 is dropped with its group.
    # Weights come from the unbiased s: .2 and .6, normalized.
    got = route([logit(x) for x in s], scoring_func="sigmoid", topk_method="noaux_tc", n_group=4,
                topk_group=2, top_k=2, norm_topk_prob=True, routed_scaling_factor=1.0,
                bias=torch.tensor([0, 0, 0, 0, 0, 0, 0.25, 0.5], dtype=torch.float64))
    check(close(got, {7: 0.2 / 0.8, 2: 0.6 / 0.8}), f"noaux_tc: bias moves group choice -> {got}")


def test_rope():
    print("rope / yarn")
    check(ref.yarn_correction_range(64, 10000.0, 4096, 32, 1) == (10, 23), "YaRN range d=64 -> (10, 23)")
    check(ref.yarn_correction_range(8, 10000.0, 4096, 32, 1) == (1, 3), "YaRN range d=8 -> (1, 3)")

    class C:  # minimal config for the rope helpers
        qk_rope_head_dim, rope_theta, qk_nope_head_dim = 8, 10000.0, 16
        rope_scaling = yarn(1.0, 0.0)
    inv, mscale = ref.rope_inv_freq(C)
    base = 10000.0 ** (-np.arange(0, 8, 2) / 8)
    ramp = np.array([0.0, 0.0, 0.5, 1.0])  # (i - 1) / (3 - 1) clamped
    check(np.allclose(inv, base / 40 * ramp + base * (1 - ramp), rtol=1e-15), "YaRN inv_freq ramp blend")
    check(abs(mscale - (0.1 * math.log(40) + 1)) < 1e-15, "YaRN cos/sin mscale = mscale(40,1)/mscale(40,0)")
    check(abs(ref.softmax_scale(C) - 24 ** -0.5) < 1e-15, "softmax scale unchanged when mscale_all_dim = 0")
    C.rope_scaling = yarn(0.707, 0.707)
    m = 0.1 * 0.707 * math.log(40) + 1
    check(abs(ref.softmax_scale(C) - 24 ** -0.5 * m * m) < 1e-15, "softmax scale x mscale(40, 0.707)^2")
    check(ref.rope_inv_freq(C)[1] == 1.0, "mscale == mscale_all_dim -> cos/sin unscaled")

    # Interleaved pairs: x = [1, 0, 0, 1] at pos p with theta = [t0, t1] -> (cos p t0, sin p t0,
    # -sin p t1, cos p t1).
    x = torch.tensor([[[1.0, 0.0, 0.0, 1.0]]], dtype=torch.float64)
    ang = np.array([[0.3, 0.7]])
    y = ref.apply_rope(x, torch.tensor(np.cos(ang)), torch.tensor(np.sin(ang)))[0, 0].numpy()
    want = [math.cos(0.3), math.sin(0.3), -math.sin(0.7), math.cos(0.7)]
    check(np.allclose(y, want, rtol=0, atol=1e-15), "interleaved-pair rotation hand example")


# ============================================================================
# End-to-end checks on the variants
# ============================================================================

def one_token_attention_check(model):
    """With a single token softmax is 1, so MLA(x) = o_proj(v of that token)."""
    L = model.layers[0]
    c = model.cfg
    x = torch.randn(1, c.hidden_size, dtype=model.dtype, generator=torch.Generator().manual_seed(0))
    latent = ref.rms_norm(ref.linear(x, L["wkv_a"])[:, :c.kv_lora_rank], L["kv_norm"], c.rms_norm_eps)
    kvb = ref.linear(latent, L["wkv_b"]).view(c.num_heads, c.qk_nope_head_dim + c.v_head_dim)
    want = ref.linear(kvb[:, c.qk_nope_head_dim:].reshape(1, -1), L["wo"])
    cos, sin = ref.rope_tables(c, [0], model.dtype)
    got_n = model.attention(L, x, cos, sin, "naive")
    got_a = model.attention(L, x, cos, sin, "absorb")
    return max(rel_diff(got_n, want), rel_diff(got_a, want))


def moe_dense_check(model, L):
    """moe() must equal: run EVERY expert on every token, weight by a [T, E] matrix that is
    zero except at the routed experts, sum, add the shared experts."""
    c = model.cfg
    x = torch.randn(32, c.hidden_size, dtype=model.dtype, generator=torch.Generator().manual_seed(2))
    w, idx = ref.route(ref.linear(x, L["gate"]), scoring_func=c.scoring_func, topk_method=c.topk_method,
                       n_group=c.n_group, topk_group=c.topk_group, top_k=c.num_experts_per_tok,
                       norm_topk_prob=c.norm_topk_prob, routed_scaling_factor=c.routed_scaling_factor,
                       bias=L["gate_bias"])
    dense_w = torch.zeros(x.shape[0], len(L["experts"]), dtype=model.dtype).scatter(1, idx, w)  # [T, E]
    all_out = torch.stack([ref.swiglu_mlp(x, *e) for e in L["experts"]], dim=1)              # [T, E, H]
    want = (dense_w[:, :, None] * all_out).sum(dim=1)
    if L["shared"] is not None:
        want = want + ref.swiglu_mlp(x, *L["shared"])
    return rel_diff(model.moe(L, x), want)


def test_variant(root, variant, seed):
    print(f"variant {variant}")
    folder = build_variant(root, variant, seed)
    m32 = ref.DeepSeekRef(folder, torch.float32)
    m64 = ref.DeepSeekRef(folder, torch.float64)
    V = m32.cfg.vocab_size
    tokens = ref.named_prompt("long", V)[:40]

    n32, a32 = m32.forward(tokens, "naive"), m32.forward(tokens, "absorb")
    n64, a64 = m64.forward(tokens, "naive"), m64.forward(tokens, "absorb")
    check(bool(torch.isfinite(n32).all()), "logits finite (MTP NaN layer ignored)" if "v3" in variant
          else "logits finite")
    d = rel_diff(a32, n32)
    check(d <= 1e-5, f"naive == absorb, float32 (rel {d:.2e})")
    d = rel_diff(a64, n64)
    check(d <= 1e-12, f"naive == absorb, float64 (rel {d:.2e})")
    d = rel_diff(n32, n64)
    check(d <= 1e-4, f"float32 ~ float64 (rel {d:.2e})")
    d = rel_diff(m64.forward(tokens[:25], "naive"), n64[:25])
    check(d <= 1e-12, f"causal: prefix logits unchanged by later tokens (rel {d:.2e})")
    d = one_token_attention_check(m64)
    check(d <= 1e-12, f"one-token attention == o_proj(v) (rel {d:.2e})")
    spread = float(n32[-1].max() - n32[-1].min())
    check(spread > 1.0, f"logits not degenerate (spread {spread:.2f})")
    if m32.cfg.n_routed_experts:
        moe_layers = [L for L in m32.layers if "gate" in L]
        x = torch.randn(64, m32.cfg.hidden_size, generator=torch.Generator().manual_seed(1))
        _, idx = ref.route(ref.linear(x, moe_layers[0]["gate"]), scoring_func=m32.cfg.scoring_func,
                           topk_method=m32.cfg.topk_method, n_group=m32.cfg.n_group,
                           topk_group=m32.cfg.topk_group, top_k=m32.cfg.num_experts_per_tok,
                           norm_topk_prob=m32.cfg.norm_topk_prob,
                           routed_scaling_factor=m32.cfg.routed_scaling_factor,
                           bias=moe_layers[0]["gate_bias"])
        used = len(torch.unique(idx))
        check(used >= m32.cfg.n_routed_experts // 2, f"routing spreads over experts ({used} used)")
        d = moe_dense_check(m64, [L for L in m64.layers if "gate" in L][0])
        check(d <= 1e-12, f"MoE == dense sum over all experts with scattered weights (rel {d:.2e})")

    _, g_n = m32.generate(tokens[:10], 6, "naive")
    _, g_a = m32.generate(tokens[:10], 6, "absorb")
    check(g_n == g_a, f"greedy naive == absorb {g_n}")

    if m32.cfg.quantization_config is not None:
        twin = ref.DeepSeekRef(folder + "-f32", torch.float32)
        d = rel_diff(twin.forward(tokens, "naive"), n32)
        check(d == 0.0, f"FP8 checkpoint == its dequantized F32 twin (rel {d:.2e})")
        check(len([f for f in os.listdir(folder) if f.endswith(".safetensors")]) == 2, "FP8 variant sharded in 2")
    return folder


def test_cli(folder):
    print("cli")
    out = os.path.join(os.path.dirname(folder), "cli.json")
    cmd = [sys.executable, os.path.join(HERE, "deepseek_ref.py"), "--model", folder,
           "--prompt", "short", "--greedy", "5", "--attn", "absorb", "--out", out]
    subprocess.run(cmd, check=True)
    with open(out) as f:
        res = json.load(f)
    m = ref.DeepSeekRef(folder, torch.float32)
    V = m.cfg.vocab_size
    tokens = ref.named_prompt("short", V)
    check(list(res) == ["model", "tokens", "logits", "greedy"], f"JSON keys {list(res)}")
    check(res["model"] == os.path.basename(folder) and res["tokens"] == tokens, "model name and tokens")
    check(tokens[0] == 0 and len(tokens) == 17 and tokens[1] == 48 % V, "short prompt formula")
    long_ids = ref.named_prompt("long", V)
    check(len(long_ids) == 120 and long_ids[:2] == [7, 60 % V], "long prompt formula")
    want = m.forward(tokens, "naive")[-1].numpy()
    check(len(res["logits"]) == V and rel_diff(res["logits"], want) <= 1e-5, "CLI logits match forward()")
    g = list(tokens)
    for _ in range(5):
        g.append(int(np.argmax(m.forward(g, "naive")[-1].numpy())))
    check(res["greedy"] == g[len(tokens):], f"CLI greedy {res['greedy']}")
    text = open(out).read()
    digits = max(len(s.strip().lstrip("-").replace(".", "").split("e")[0].lstrip("0"))
                 for s in text.split('"logits": [')[1].split("]")[0].split(","))
    check(digits <= 9, f"logits written with <= 9 significant digits ({digits})")


def main():
    ap = argparse.ArgumentParser(description="self-test for deepseek_ref.py")
    ap.add_argument("--keep", help="write the tiny checkpoints here and keep them")
    args = ap.parse_args()
    torch.set_num_threads(2)
    with tempfile.TemporaryDirectory() as tmp:
        root = args.keep or tmp
        os.makedirs(root, exist_ok=True)
        test_number_formats(root)
        test_routing()
        test_rope()
        folders = {}
        for seed, variant in enumerate(VARIANTS, start=1):
            folders[variant] = test_variant(root, variant, seed)
        test_cli(folders["v3-fp8"])
    if FAILURES:
        print(f"\n{len(FAILURES)} check(s) FAILED")
        return 1
    print("\nall checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
