#!/usr/bin/env python3
"""Independent PyTorch reference for the DeepSeek-V2 / V2-Lite / V3 forward pass.

It reads a Hugging Face checkpoint folder exactly as DeepSeek publishes it
(config.json + model.safetensors or sharded model-*.safetensors with an index)
and computes logits with plain, readable float32 (or float64) PyTorch.  It is the
oracle for r1.cpp's golden tests, so clarity beats speed: there is no KV cache,
and greedy decoding simply re-runs the whole sequence for every new token.

Only the standard library, numpy and torch are used.  Safetensors files are
parsed by hand (there is no `safetensors` package on the build machines), and
FP8 E4M3 values are decoded with a 256-entry table built from the format's
definition, so nothing depends on torch knowing about float8.

CLI:
    python3 deepseek_ref.py --model DIR (--tokens 0,17,5 | --prompt short|long)
        [--greedy 16] [--attn naive|absorb] [--dtype float32|float64] --out FILE.json

Shape notation used in comments:
    T  sequence length          H  hidden_size           V  vocab_size
    nh num_attention_heads      dn qk_nope_head_dim      dr qk_rope_head_dim
    dv v_head_dim               C  kv_lora_rank          E  n_routed_experts
    k  num_experts_per_tok
"""

import argparse
import json
import math
import os
import struct
import sys

import numpy as np
import torch


# ============================================================================
# Number formats
# ============================================================================

def e4m3_table():
    """Return float32[256]: the value of every FP8 E4M3 (e4m3fn) byte.

    Layout: s eeee mmm, exponent bias 7.
      exponent 0      -> subnormal  (m / 8) * 2^-6
      exponent 1..15  -> normal     (1 + m / 8) * 2^(e - 7)
      e = 15 and m = 7 (0x7F / 0xFF) -> NaN; the format has no infinities.
    The largest finite value is 0x7E = 1.75 * 2^8 = 448.
    """
    table = np.empty(256, dtype=np.float32)
    for byte in range(256):
        sign = -1.0 if byte & 0x80 else 1.0
        exp = (byte >> 3) & 0xF
        man = byte & 0x7
        if exp == 15 and man == 7:
            value = float("nan")
        elif exp == 0:
            value = sign * (man / 8.0) * 2.0 ** -6
        else:
            value = sign * (1.0 + man / 8.0) * 2.0 ** (exp - 7)
        table[byte] = value
    return table


E4M3_TABLE = e4m3_table()


def bf16_bits_to_f32(bits):
    """uint16 array of bfloat16 bit patterns -> float32 (bf16 is the top half of an f32)."""
    return (bits.astype(np.uint32) << 16).view(np.float32)


# safetensors dtype name -> (numpy storage dtype, decoder to a float array)
_SAFETENSORS_DTYPES = {
    "F64": (np.dtype("<f8"), lambda a: a.astype(np.float64)),
    "F32": (np.dtype("<f4"), lambda a: a.astype(np.float32)),
    "F16": (np.dtype("<f2"), lambda a: a.astype(np.float32)),
    "BF16": (np.dtype("<u2"), bf16_bits_to_f32),
    "F8_E4M3": (np.dtype("u1"), lambda a: E4M3_TABLE[a]),
}


# ============================================================================
# Safetensors reading (single file or sharded folder)
# ============================================================================

class SafetensorsFile:
    """One .safetensors file: 8-byte LE header length N, N bytes of JSON, data area.

    Offsets in the header are relative to the start of the data area (8 + N).
    Tensors are read lazily through a read-only memory map.
    """

    def __init__(self, path):
        self.path = path
        with open(path, "rb") as f:
            (header_len,) = struct.unpack("<Q", f.read(8))
            header = json.loads(f.read(header_len).decode("utf-8"))
        header.pop("__metadata__", None)
        self.entries = header  # name -> {"dtype", "shape", "data_offsets"}
        self.data_start = 8 + header_len
        self._map = np.memmap(path, dtype=np.uint8, mode="r")

    def dtype(self, name):
        return self.entries[name]["dtype"]

    def read(self, name):
        """Decode tensor `name` to a float numpy array (FP8 -> its E4M3 value, no scaling)."""
        entry = self.entries[name]
        if entry["dtype"] not in _SAFETENSORS_DTYPES:
            raise ValueError(f"{self.path}: tensor {name} has unsupported dtype {entry['dtype']}")
        storage, decode = _SAFETENSORS_DTYPES[entry["dtype"]]
        shape = tuple(entry["shape"])
        begin, end = entry["data_offsets"]
        count = int(np.prod(shape, dtype=np.int64))
        if end - begin != count * storage.itemsize:
            raise ValueError(f"{self.path}: tensor {name}: byte range {begin}..{end} "
                             f"does not match shape {list(shape)} of {entry['dtype']}")
        raw = self._map[self.data_start + begin:self.data_start + end]
        return decode(np.frombuffer(raw.tobytes(), dtype=storage)).reshape(shape)


class SafetensorsFolder:
    """All tensors of a checkpoint folder, whether in model.safetensors or in shards."""

    def __init__(self, folder):
        index_path = os.path.join(folder, "model.safetensors.index.json")
        single_path = os.path.join(folder, "model.safetensors")
        if os.path.exists(index_path):
            with open(index_path) as f:
                weight_map = json.load(f)["weight_map"]  # tensor name -> shard file name
            files = sorted(set(weight_map.values()))
        elif os.path.exists(single_path):
            files = ["model.safetensors"]
        else:
            raise FileNotFoundError(f"{folder}: no model.safetensors or model.safetensors.index.json")
        self.file_of = {}  # tensor name -> SafetensorsFile
        for name in files:
            shard = SafetensorsFile(os.path.join(folder, name))
            for tensor in shard.entries:
                self.file_of[tensor] = shard
        if os.path.exists(index_path):
            for tensor, shard_name in weight_map.items():
                actual = os.path.basename(self.file_of[tensor].path) if tensor in self.file_of else None
                if actual != shard_name:
                    raise ValueError(f"index says {tensor} is in {shard_name}, found in {actual}")

    def has(self, name):
        return name in self.file_of

    def dtype(self, name):
        return self.file_of[name].dtype(name)

    def read(self, name):
        if name not in self.file_of:
            raise KeyError(f"tensor {name} not found in checkpoint")
        return self.file_of[name].read(name)


def dequantize_blockwise(values, scale_inv, block):
    """FP8 block dequantization: W[i, j] = q[i, j] * scale_inv[i // b0, j // b1].

    values:    float32 [out, in]   (already decoded E4M3 values)
    scale_inv: float32 [ceil(out / b0), ceil(in / b1)]   (the stored "inverse" scale
               multiplies; edge blocks may be partial)
    The product is rounded to float32, as a float32 dequantizing kernel would.
    """
    out_dim, in_dim = values.shape
    b0, b1 = block
    expected = (-(-out_dim // b0), -(-in_dim // b1))
    if tuple(scale_inv.shape) != expected:
        raise ValueError(f"scale_inv shape {list(scale_inv.shape)} != expected {list(expected)}")
    scale_full = np.repeat(np.repeat(scale_inv.astype(np.float32), b0, axis=0), b1, axis=1)
    return values.astype(np.float32) * scale_full[:out_dim, :in_dim]  # [out, in]


# ============================================================================
# Config
# ============================================================================

class Config:
    """The config.json fields the forward pass needs, with Hugging Face defaults."""

    def __init__(self, raw):
        self.raw = raw
        arch = (raw.get("architectures") or ["?"])[0]
        if arch not in ("DeepseekV2ForCausalLM", "DeepseekV3ForCausalLM"):
            raise ValueError(f"unsupported architecture {arch}")
        self.architecture = arch
        g = raw.get
        self.vocab_size = int(raw["vocab_size"])
        self.hidden_size = int(raw["hidden_size"])
        self.intermediate_size = int(raw["intermediate_size"])
        self.moe_intermediate_size = int(g("moe_intermediate_size") or 0)
        self.num_hidden_layers = int(raw["num_hidden_layers"])
        self.num_heads = int(raw["num_attention_heads"])
        self.q_lora_rank = g("q_lora_rank")  # None -> plain q_proj
        self.kv_lora_rank = int(raw["kv_lora_rank"])
        self.qk_nope_head_dim = int(raw["qk_nope_head_dim"])
        self.qk_rope_head_dim = int(raw["qk_rope_head_dim"])
        self.v_head_dim = int(raw["v_head_dim"])
        self.n_routed_experts = g("n_routed_experts")  # None -> every layer dense
        self.n_shared_experts = int(g("n_shared_experts") or 0)
        self.num_experts_per_tok = int(g("num_experts_per_tok") or 0)
        self.first_k_dense_replace = int(g("first_k_dense_replace") or 0)
        self.moe_layer_freq = int(g("moe_layer_freq") or 1)
        self.scoring_func = g("scoring_func", "softmax")
        self.topk_method = g("topk_method", "greedy")
        self.n_group = int(g("n_group") or 1)
        self.topk_group = int(g("topk_group") or 1)
        self.norm_topk_prob = bool(g("norm_topk_prob", False))
        self.routed_scaling_factor = float(g("routed_scaling_factor", 1.0))
        self.rope_theta = float(g("rope_theta", 10000.0))
        self.rope_scaling = g("rope_scaling")
        self.rms_norm_eps = float(g("rms_norm_eps", 1e-6))
        self.tie_word_embeddings = bool(g("tie_word_embeddings", False))
        self.num_nextn_predict_layers = int(g("num_nextn_predict_layers") or 0)
        self.quantization_config = g("quantization_config")

        if self.scoring_func not in ("softmax", "sigmoid"):
            raise ValueError(f"unsupported scoring_func {self.scoring_func}")
        if self.topk_method not in ("greedy", "group_limited_greedy", "noaux_tc"):
            raise ValueError(f"unsupported topk_method {self.topk_method}")
        if self.quantization_config is not None:
            q = self.quantization_config
            if q.get("quant_method") != "fp8" or q.get("fmt", "e4m3") != "e4m3":
                raise ValueError(f"unsupported quantization_config {q}")
        if self.rope_scaling is not None and self.rope_scaling.get("type") not in ("yarn", None):
            raise ValueError(f"unsupported rope_scaling {self.rope_scaling}")

    @classmethod
    def load(cls, folder):
        with open(os.path.join(folder, "config.json")) as f:
            return cls(json.load(f))

    def is_moe_layer(self, i):
        return (self.n_routed_experts is not None
                and i >= self.first_k_dense_replace
                and i % self.moe_layer_freq == 0)


# ============================================================================
# Building blocks
# ============================================================================

def rms_norm(x, weight, eps):
    """x * rsqrt(mean(x^2) + eps) * weight, over the last axis."""
    return x * torch.rsqrt(x.pow(2).mean(dim=-1, keepdim=True) + eps) * weight


# --bf16-inputs: round matmul operands to bf16 where r1's AVX512-BF16 path does (quant/weight.cpp linear_rows),
# so that r1 with its fast kernels on has a reference: a BF16 weight's input is rounded (round to nearest even)
# at every call; an FP8 weight (dequantized to f32) is rounded together with its input when the call has 16 or
# more rows (r1 then dequantizes panels to bf16 for the same GEMM; fewer rows stay f32). The products and sums
# stay f32. Weights carry their file dtype in `r1_src` (set by the loaders).
BF16_INPUTS = False


def to_bf16(t):
    return t.to(torch.bfloat16).to(t.dtype)


def linear(x, weight):
    """x [..., in] @ weight[out, in]^T -> [..., out] (no bias anywhere in these models)."""
    if BF16_INPUTS:
        src = getattr(weight, "r1_src", None)
        if src == "BF16":
            x = to_bf16(x)
        elif src == "F8_E4M3" and x.reshape(-1, x.shape[-1]).shape[0] >= 16:
            x, weight = to_bf16(x), to_bf16(weight)
    return x @ weight.t()


def swiglu_mlp(x, w_gate, w_up, w_down):
    """down(silu(gate(x)) * up(x)); used for dense MLPs, routed and shared experts."""
    return linear(torch.nn.functional.silu(linear(x, w_gate)) * linear(x, w_up), w_down)


def yarn_mscale(scale, mscale):
    """Hugging Face's yarn_get_mscale: 1 for scale <= 1, else 0.1 * mscale * ln(scale) + 1."""
    if scale <= 1:
        return 1.0
    return 0.1 * mscale * math.log(scale) + 1.0


def yarn_correction_range(dim, base, orig_max_pos, beta_fast, beta_slow):
    """Return (low, high): the rotary pair indices where YaRN interpolation ramps in."""
    def correction_dim(num_rotations):
        return dim * math.log(orig_max_pos / (num_rotations * 2 * math.pi)) / (2 * math.log(base))
    low = max(math.floor(correction_dim(beta_fast)), 0)
    high = min(math.ceil(correction_dim(beta_slow)), dim - 1)
    return low, high


def rope_inv_freq(cfg):
    """float64 [dr/2]: the per-pair rotation frequency, with YaRN applied if configured.

    Returns (inv_freq, mscale) where mscale multiplies both cos and sin.
    """
    d = cfg.qk_rope_head_dim
    base = cfg.rope_theta
    inv_freq = base ** (-np.arange(0, d, 2, dtype=np.float64) / d)  # theta_i = base^(-2i/d)
    mscale = 1.0
    rs = cfg.rope_scaling
    if rs is not None and rs.get("type") == "yarn":
        factor = float(rs["factor"])
        low, high = yarn_correction_range(
            d, base,
            float(rs.get("original_max_position_embeddings", 4096)),
            float(rs.get("beta_fast", 32)),
            float(rs.get("beta_slow", 1)))
        if low == high:
            high += 0.001  # avoid dividing by zero in the ramp
        ramp = np.clip((np.arange(d // 2, dtype=np.float64) - low) / (high - low), 0.0, 1.0)
        # ramp = 0: keep the original (extrapolated) frequency; ramp = 1: interpolate (/factor)
        inv_freq = inv_freq / factor * ramp + inv_freq * (1.0 - ramp)
        mscale = (yarn_mscale(factor, float(rs.get("mscale", 1)))
                  / yarn_mscale(factor, float(rs.get("mscale_all_dim", 0))))
    return inv_freq, mscale


def softmax_scale(cfg):
    """(dn + dr)^-0.5, times yarn_mscale(factor, mscale_all_dim)^2 under YaRN."""
    scale = (cfg.qk_nope_head_dim + cfg.qk_rope_head_dim) ** -0.5
    rs = cfg.rope_scaling
    if rs is not None and rs.get("type") == "yarn":
        mscale_all_dim = float(rs.get("mscale_all_dim", 0) or 0)
        if mscale_all_dim:
            m = yarn_mscale(float(rs["factor"]), mscale_all_dim)
            scale = scale * m * m
    return scale


def rope_tables(cfg, positions, dtype):
    """cos, sin of shape [T, dr/2] for integer positions (angles computed in float64)."""
    inv_freq, mscale = rope_inv_freq(cfg)
    angles = np.outer(np.asarray(positions, dtype=np.float64), inv_freq)  # [T, dr/2]
    cos = torch.from_numpy(np.cos(angles) * mscale).to(dtype)
    sin = torch.from_numpy(np.sin(angles) * mscale).to(dtype)
    return cos, sin


def apply_rope(x, cos, sin):
    """Interleaved-pair rotary embedding.

    x: [T, heads, dr]; pair i is channels (2i, 2i+1) and is rotated like the complex
    number (x[2i] + j x[2i+1]) * e^(j * pos * theta_i).  cos, sin: [T, dr/2].
    """
    even, odd = x[..., 0::2], x[..., 1::2]        # [T, heads, dr/2] each
    c, s = cos[:, None, :], sin[:, None, :]         # broadcast over heads
    out_even = even * c - odd * s
    out_odd = even * s + odd * c
    return torch.stack((out_even, out_odd), dim=-1).flatten(-2)  # re-interleave -> [T, heads, dr]


def stable_topk(x, k):
    """Top-k along the last axis; equal values are ordered lowest index first."""
    order = torch.sort(x, dim=-1, descending=True, stable=True).indices[..., :k]
    return x.gather(-1, order), order


def route(router_logits, *, scoring_func, topk_method, n_group, topk_group, top_k,
          norm_topk_prob, routed_scaling_factor, bias=None):
    """MoE gate: choose experts and their weights for each token.

    router_logits: [T, E] (x @ gate.weight^T)
    bias:          [E] e_score_correction_bias (topk_method noaux_tc) or None
    returns weights [T, k], expert indices [T, k]
    """
    if scoring_func == "softmax":
        scores = torch.softmax(router_logits, dim=-1)                   # [T, E]
    else:
        scores = torch.sigmoid(router_logits)                           # [T, E]
    # The selection score may carry the load-balancing bias; the weights never do.
    choice = scores + bias if bias is not None else scores.clone()      # [T, E]

    if topk_method in ("group_limited_greedy", "noaux_tc") and n_group > 1:
        T, E = choice.shape
        grouped = choice.view(T, n_group, E // n_group)                 # [T, G, E/G] contiguous groups
        if bias is None:
            group_score = grouped.max(dim=-1).values                    # [T, G]
        else:
            group_score = stable_topk(grouped, 2)[0].sum(dim=-1)        # [T, G] sum of two best
        _, keep = stable_topk(group_score, topk_group)                  # [T, topk_group]
        dropped = torch.ones_like(group_score, dtype=torch.bool)
        dropped.scatter_(1, keep, False)                                # True for discarded groups
        grouped = grouped.masked_fill(dropped[:, :, None], float("-inf"))
        choice = grouped.reshape(T, E)

    _, indices = stable_topk(choice, top_k)                             # [T, k]
    weights = scores.gather(1, indices)                                 # unbiased scores [T, k]
    if norm_topk_prob:
        weights = weights / weights.sum(dim=-1, keepdim=True)
    weights = weights * routed_scaling_factor
    return weights, indices


# ============================================================================
# The model
# ============================================================================

class DeepSeekRef:
    """Loads every weight up front (as `dtype`) and runs the full-sequence forward."""

    def __init__(self, folder, dtype=torch.float32):
        self.folder = folder
        self.cfg = Config.load(folder)
        self.dtype = dtype
        self.st = SafetensorsFolder(folder)
        block = [128, 128]
        if self.cfg.quantization_config is not None:
            block = self.cfg.quantization_config.get("weight_block_size", block)
        self.block = tuple(int(b) for b in block)
        self.scale = softmax_scale(self.cfg)
        self._load_weights()

    # ---------------------------------------------------------------- loading

    def _get(self, name, shape):
        """Read one tensor, dequantizing FP8 weights, checking the expected shape."""
        if self.st.dtype(name) == "F8_E4M3":
            scale_name = name + "_scale_inv"
            if not self.st.has(scale_name):
                raise KeyError(f"FP8 tensor {name} has no {scale_name}")
            values = dequantize_blockwise(self.st.read(name), self.st.read(scale_name), self.block)
        else:
            values = self.st.read(name)
        if list(values.shape) != list(shape):
            raise ValueError(f"{name}: shape {list(values.shape)}, expected {list(shape)}")
        t = torch.from_numpy(np.ascontiguousarray(values)).to(self.dtype)
        t.r1_src = self.st.dtype(name)  # for --bf16-inputs
        return t

    def _load_weights(self):
        c = self.cfg
        H, nh = c.hidden_size, c.num_heads
        dn, dr, dv, C = c.qk_nope_head_dim, c.qk_rope_head_dim, c.v_head_dim, c.kv_lora_rank
        self.embed = self._get("model.embed_tokens.weight", [c.vocab_size, H])
        self.norm = self._get("model.norm.weight", [H])
        if c.tie_word_embeddings:
            self.lm_head = self.embed
        else:
            self.lm_head = self._get("lm_head.weight", [c.vocab_size, H])

        # Layers num_hidden_layers.. (multi-token-prediction modules) are never read.
        self.layers = []
        for i in range(c.num_hidden_layers):
            p = f"model.layers.{i}."
            L = {
                "attn_norm": self._get(p + "input_layernorm.weight", [H]),
                "ffn_norm": self._get(p + "post_attention_layernorm.weight", [H]),
                "wkv_a": self._get(p + "self_attn.kv_a_proj_with_mqa.weight", [C + dr, H]),
                "kv_norm": self._get(p + "self_attn.kv_a_layernorm.weight", [C]),
                "wkv_b": self._get(p + "self_attn.kv_b_proj.weight", [nh * (dn + dv), C]),
                "wo": self._get(p + "self_attn.o_proj.weight", [H, nh * dv]),
            }
            if c.q_lora_rank is None:
                L["wq"] = self._get(p + "self_attn.q_proj.weight", [nh * (dn + dr), H])
            else:
                R = int(c.q_lora_rank)
                L["wq_a"] = self._get(p + "self_attn.q_a_proj.weight", [R, H])
                L["q_norm"] = self._get(p + "self_attn.q_a_layernorm.weight", [R])
                L["wq_b"] = self._get(p + "self_attn.q_b_proj.weight", [nh * (dn + dr), R])

            if c.is_moe_layer(i):
                E, I = int(c.n_routed_experts), c.moe_intermediate_size
                L["gate"] = self._get(p + "mlp.gate.weight", [E, H])
                L["gate_bias"] = None
                if c.topk_method == "noaux_tc":
                    L["gate_bias"] = self._get(p + "mlp.gate.e_score_correction_bias", [E])
                L["experts"] = [
                    tuple(self._get(f"{p}mlp.experts.{j}.{w}.weight", s)
                          for w, s in (("gate_proj", [I, H]), ("up_proj", [I, H]), ("down_proj", [H, I])))
                    for j in range(E)
                ]
                L["shared"] = None
                if c.n_shared_experts:
                    S = c.n_shared_experts * I
                    L["shared"] = tuple(self._get(f"{p}mlp.shared_experts.{w}.weight", s)
                                        for w, s in (("gate_proj", [S, H]), ("up_proj", [S, H]),
                                                     ("down_proj", [H, S])))
            else:
                I = c.intermediate_size
                L["mlp"] = tuple(self._get(f"{p}mlp.{w}.weight", s)
                                 for w, s in (("gate_proj", [I, H]), ("up_proj", [I, H]), ("down_proj", [H, I])))
            self.layers.append(L)

    # ---------------------------------------------------------------- attention

    def attention(self, L, x, cos, sin, mode):
        """Multi-head latent attention over the whole sequence. x: [T, H] -> [T, H]."""
        c = self.cfg
        T = x.shape[0]
        nh, dn, dr, dv, C = c.num_heads, c.qk_nope_head_dim, c.qk_rope_head_dim, c.v_head_dim, c.kv_lora_rank

        # Queries: [T, nh, dn + dr], each head = [q_nope | q_pe]
        if c.q_lora_rank is None:
            q = linear(x, L["wq"])
        else:
            q = linear(rms_norm(linear(x, L["wq_a"]), L["q_norm"], c.rms_norm_eps), L["wq_b"])
        q = q.view(T, nh, dn + dr)
        q_nope, q_pe = q[..., :dn], q[..., dn:]
        q_pe = apply_rope(q_pe, cos, sin)                                  # [T, nh, dr]

        # Keys/values come from a compressed latent plus ONE shared rotary key head.
        kv = linear(x, L["wkv_a"])                                         # [T, C + dr]
        latent = rms_norm(kv[:, :C], L["kv_norm"], c.rms_norm_eps)         # [T, C]
        k_pe = apply_rope(kv[:, None, C:], cos, sin)[:, 0, :]              # [T, dr] (no norm)

        causal = torch.ones(T, T, dtype=torch.bool).triu(1)                # True above diagonal = future

        if mode == "naive":
            kvb = linear(latent, L["wkv_b"]).view(T, nh, dn + dv)          # [T, nh, dn + dv]
            k_nope, v = kvb[..., :dn], kvb[..., dn:]
            k = torch.cat([k_nope, k_pe[:, None, :].expand(T, nh, dr)], dim=-1)   # [T, nh, dn + dr]
            qf = torch.cat([q_nope, q_pe], dim=-1)                         # [T, nh, dn + dr]
            scores = torch.einsum("shd,thd->hst", qf, k) * self.scale      # [nh, T(query), T(key)]
            scores = scores.masked_fill(causal, float("-inf"))
            probs = torch.softmax(scores, dim=-1)
            out = torch.einsum("hst,thd->shd", probs, v)                   # [T, nh, dv]
        elif mode == "absorb":
            wkv_b = L["wkv_b"].view(nh, dn + dv, C)
            w_uk, w_uv = wkv_b[:, :dn, :], wkv_b[:, dn:, :]                # [nh, dn, C], [nh, dv, C]
            q_lat = torch.einsum("shd,hdc->shc", q_nope, w_uk)             # [T, nh, C]
            scores = (torch.einsum("shc,tc->hst", q_lat, latent)
                      + torch.einsum("shr,tr->hst", q_pe, k_pe)) * self.scale  # [nh, T, T]
            scores = scores.masked_fill(causal, float("-inf"))
            probs = torch.softmax(scores, dim=-1)
            ctx = torch.einsum("hst,tc->shc", probs, latent)               # [T, nh, C]
            out = torch.einsum("shc,hdc->shd", ctx, w_uv)                  # [T, nh, dv]
        else:
            raise ValueError(f"unknown attention mode {mode}")
        return linear(out.reshape(T, nh * dv), L["wo"])                    # [T, H]

    # ---------------------------------------------------------------- feed-forward

    def moe(self, L, x):
        """Routed experts + shared experts. x: [T, H] -> [T, H]."""
        c = self.cfg
        weights, indices = route(
            linear(x, L["gate"]),                                          # [T, E]
            scoring_func=c.scoring_func, topk_method=c.topk_method,
            n_group=c.n_group, topk_group=c.topk_group, top_k=c.num_experts_per_tok,
            norm_topk_prob=c.norm_topk_prob, routed_scaling_factor=c.routed_scaling_factor,
            bias=L["gate_bias"])
        y = torch.zeros_like(x)
        for j in torch.unique(indices).tolist():
            tok, slot = torch.nonzero(indices == j, as_tuple=True)         # tokens routed to expert j
            y[tok] += weights[tok, slot, None] * swiglu_mlp(x[tok], *L["experts"][j])
        if L["shared"] is not None:
            y = y + swiglu_mlp(x, *L["shared"])
        return y

    # ---------------------------------------------------------------- whole model

    @torch.no_grad()
    def forward(self, tokens, attn="naive"):
        """tokens: list of ids -> logits [T, V] (positions 0..T-1)."""
        c = self.cfg
        T = len(tokens)
        if any(t < 0 or t >= c.vocab_size for t in tokens):
            raise ValueError(f"token id out of range [0, {c.vocab_size})")
        cos, sin = rope_tables(c, range(T), self.dtype)                   # [T, dr/2]
        h = self.embed[torch.tensor(tokens, dtype=torch.long)]             # [T, H]
        for L in self.layers:
            h = h + self.attention(L, rms_norm(h, L["attn_norm"], c.rms_norm_eps), cos, sin, attn)
            x = rms_norm(h, L["ffn_norm"], c.rms_norm_eps)
            h = h + (self.moe(L, x) if "gate" in L else swiglu_mlp(x, *L["mlp"]))
        return linear(rms_norm(h, self.norm, c.rms_norm_eps), self.lm_head)  # [T, V]

    def generate(self, prompt, n, attn="naive"):
        """Greedy decoding without a cache. Returns (last-position prompt logits [V], n new ids)."""
        seq = list(prompt)
        first_logits = None
        out = []
        for _ in range(n):
            last = self.forward(seq, attn)[-1]
            if first_logits is None:
                first_logits = last
            next_id = int(np.argmax(last.numpy()))  # numpy argmax: ties -> lowest index
            out.append(next_id)
            seq.append(next_id)
        if first_logits is None:
            first_logits = self.forward(seq, attn)[-1]
        return first_logits, out


# ============================================================================
# Prompts and CLI
# ============================================================================

def named_prompt(name, vocab_size):
    """The golden-test prompts, defined by formula so they fit any vocabulary.

    short: 17 ids, [(i*37 + 11) % V for i in 0..16] with the first id replaced by 0
    long:  120 ids, [(i*53 + 7) % V for i in 0..119]
    """
    V = vocab_size
    if name == "short":
        ids = [(i * 37 + 11) % V for i in range(17)]
        ids[0] = 0
        return ids
    if name == "long":
        return [(i * 53 + 7) % V for i in range(120)]
    raise ValueError(f"unknown prompt {name}")


def format_logits(logits):
    """float32 values rounded to 9 significant digits (enough to round-trip an f32)."""
    values = logits.to(torch.float32).numpy()
    if not np.all(np.isfinite(values)):
        raise ValueError("non-finite logits")
    return [float(format(float(v), ".9g")) for v in values]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", required=True, help="Hugging Face checkpoint folder")
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--tokens", help="comma-separated prompt ids, e.g. 0,17,5")
    src.add_argument("--prompt", choices=["short", "long"], help="formula prompt (see named_prompt)")
    ap.add_argument("--greedy", type=int, default=16, help="greedy tokens to generate (default 16)")
    ap.add_argument("--attn", choices=["naive", "absorb"], default="naive")
    ap.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    ap.add_argument("--bf16-inputs", action="store_true",
                    help="round matmul inputs to bf16 as r1's AVX512-BF16 kernels do (see BF16_INPUTS)")
    ap.add_argument("--out", required=True, help="output JSON file ('-' for stdout)")
    args = ap.parse_args(argv)

    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    global BF16_INPUTS
    BF16_INPUTS = args.bf16_inputs
    # gqa_ref imports `linear` from this module: let it find this run's module (with the setting above), not
    # load a second copy of the file under its own name.
    sys.modules.setdefault("deepseek_ref", sys.modules[__name__])
    if BF16_INPUTS and args.dtype != "float32":
        ap.error("--bf16-inputs models r1's f32 arithmetic: use --dtype float32")
    dtype = torch.float32 if args.dtype == "float32" else torch.float64
    with open(os.path.join(args.model, "config.json")) as f:
        arch = (json.load(f).get("architectures") or ["?"])[0]
    if arch in ("Qwen2ForCausalLM", "LlamaForCausalLM"):
        from gqa_ref import GQARef  # the R1-Distill families
        model = GQARef(args.model, dtype)
        vocab_size = model.V
    else:
        model = DeepSeekRef(args.model, dtype)
        vocab_size = model.cfg.vocab_size
    if args.tokens is not None:
        tokens = [int(t) for t in args.tokens.split(",") if t.strip()]
    else:
        tokens = named_prompt(args.prompt, vocab_size)
    if not tokens:
        ap.error("empty prompt")

    logits, greedy = model.generate(tokens, args.greedy, args.attn)
    result = {
        "model": os.path.basename(os.path.normpath(args.model)),
        "tokens": tokens,
        "logits": format_logits(logits),
        "greedy": greedy,
    }
    if BF16_INPUTS:
        result["bf16_inputs"] = True
    text = json.dumps(result) + "\n"
    if args.out == "-":
        sys.stdout.write(text)
    else:
        with open(args.out, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
