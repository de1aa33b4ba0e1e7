#!/usr/bin/env python3
"""Independent PyTorch reference for the R1-Distill families: Qwen2ForCausalLM and LlamaForCausalLM.

Written from the Hugging Face modelling conventions (not from r1.cpp's code): grouped-query attention
with K/V heads repeated for their query heads, q/k/v biases (Qwen2 always, Llama when attention_bias),
rotary embedding on whole heads with rotate_half pairing (channel i with i + d/2), Llama 3's
rope_scaling (rope_type "llama3"), RMSNorm, SwiGLU MLP, tied or untied output head.
Full-sequence forward without a cache; greedy decoding re-runs the sequence.

deepseek_ref.py's CLI dispatches here for these architectures, so make_golden.sh treats every
variant alike.

Shapes: T sequence length, H hidden_size, nh query heads, nkv key/value heads, hd head_dim, V vocab.
"""

import json
import math
import os

import numpy as np
import torch

from deepseek_ref import SafetensorsFolder, linear, rms_norm, swiglu_mlp

ARCHITECTURES = ("Qwen2ForCausalLM", "LlamaForCausalLM")


def llama3_inv_freq(inv_freq, rs):
    """Llama 3.1's frequency rescaling (transformers' _compute_llama3_parameters), float64 numpy."""
    factor = float(rs["factor"])
    low, high = float(rs["low_freq_factor"]), float(rs["high_freq_factor"])
    orig = float(rs["original_max_position_embeddings"])
    wavelen = 2 * math.pi / inv_freq
    low_wavelen, high_wavelen = orig / low, orig / high
    smooth = (orig / wavelen - low) / (high - low)
    blended = (1 - smooth) * inv_freq / factor + smooth * inv_freq
    out = np.where(wavelen > low_wavelen, inv_freq / factor, inv_freq)       # long wavelengths: interpolate
    mid = (wavelen >= high_wavelen) & (wavelen <= low_wavelen)
    return np.where(mid, blended, out)


def rotate_half(x):
    """[..., d] -> [-x2, x1] where x1, x2 are the two halves."""
    d = x.shape[-1] // 2
    return torch.cat((-x[..., d:], x[..., :d]), dim=-1)


class GQARef:
    def __init__(self, folder, dtype=torch.float32):
        with open(os.path.join(folder, "config.json")) as f:
            raw = json.load(f)
        self.arch = raw["architectures"][0]
        if self.arch not in ARCHITECTURES:
            raise ValueError(f"unsupported architecture {self.arch}")
        self.raw = raw
        self.dtype = dtype
        self.V = int(raw["vocab_size"])
        self.H = int(raw["hidden_size"])
        self.I = int(raw["intermediate_size"])
        self.nh = int(raw["num_attention_heads"])
        self.nkv = int(raw.get("num_key_value_heads") or self.nh)
        self.hd = int(raw.get("head_dim") or self.H // self.nh)
        self.eps = float(raw["rms_norm_eps"])
        self.theta = float(raw.get("rope_theta", 10000.0))
        self.bias = True if self.arch == "Qwen2ForCausalLM" else bool(raw.get("attention_bias", False))
        self.rope_scaling = raw.get("rope_scaling")
        self.st = SafetensorsFolder(folder)
        self._load(int(raw["num_hidden_layers"]), bool(raw.get("tie_word_embeddings", False)))

    def _get(self, name, shape):
        values = self.st.read(name)
        if list(values.shape) != list(shape):
            raise ValueError(f"{name}: shape {list(values.shape)}, expected {list(shape)}")
        t = torch.from_numpy(np.ascontiguousarray(values)).to(self.dtype)
        t.r1_src = self.st.dtype(name)  # for deepseek_ref's --bf16-inputs
        return t

    def _load(self, n_layers, tied):
        H, I, q, kv = self.H, self.I, self.nh * self.hd, self.nkv * self.hd
        self.embed = self._get("model.embed_tokens.weight", [self.V, H])
        self.norm = self._get("model.norm.weight", [H])
        self.lm_head = self.embed if tied else self._get("lm_head.weight", [self.V, H])
        self.layers = []
        for i in range(n_layers):
            p = f"model.layers.{i}."
            L = {
                "in_norm": self._get(p + "input_layernorm.weight", [H]),
                "post_norm": self._get(p + "post_attention_layernorm.weight", [H]),
                "q": self._get(p + "self_attn.q_proj.weight", [q, H]),
                "k": self._get(p + "self_attn.k_proj.weight", [kv, H]),
                "v": self._get(p + "self_attn.v_proj.weight", [kv, H]),
                "o": self._get(p + "self_attn.o_proj.weight", [H, q]),
                "mlp": tuple(self._get(f"{p}mlp.{w}.weight", s)
                             for w, s in (("gate_proj", [I, H]), ("up_proj", [I, H]), ("down_proj", [H, I]))),
            }
            for n, size in (("q", q), ("k", kv), ("v", kv)):
                L["b" + n] = self._get(f"{p}self_attn.{n}_proj.bias", [size]) if self.bias else None
            self.layers.append(L)

    def rope(self, T):
        """cos, sin [T, hd] (each frequency repeated for both halves, as transformers builds them)."""
        inv_freq = self.theta ** (-np.arange(0, self.hd, 2, dtype=np.float64) / self.hd)   # [hd/2]
        rs = self.rope_scaling
        if rs is not None:
            kind = rs.get("rope_type", rs.get("type"))
            if kind == "llama3":
                inv_freq = llama3_inv_freq(inv_freq, rs)
            elif kind != "default":
                raise ValueError(f"unsupported rope_scaling {rs}")
        angles = np.outer(np.arange(T, dtype=np.float64), inv_freq)                       # [T, hd/2]
        angles = np.concatenate([angles, angles], axis=-1)                                  # [T, hd]
        return torch.from_numpy(np.cos(angles)).to(self.dtype), torch.from_numpy(np.sin(angles)).to(self.dtype)

    def attention(self, L, x, cos, sin):
        T = x.shape[0]
        def proj(name):
            y = linear(x, L[name])
            return y if L["b" + name] is None else y + L["b" + name]
        q = proj("q").view(T, self.nh, self.hd).transpose(0, 1)                # [nh, T, hd]
        k = proj("k").view(T, self.nkv, self.hd).transpose(0, 1)               # [nkv, T, hd]
        v = proj("v").view(T, self.nkv, self.hd).transpose(0, 1)               # [nkv, T, hd]
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        rep = self.nh // self.nkv                                              # query heads per KV head
        k = k.repeat_interleave(rep, dim=0)                                    # [nh, T, hd]
        v = v.repeat_interleave(rep, dim=0)
        scores = q @ k.transpose(1, 2) / math.sqrt(self.hd)                   # [nh, T, T]
        causal = torch.ones(T, T, dtype=torch.bool).triu(1)
        probs = torch.softmax(scores.masked_fill(causal, float("-inf")), dim=-1)
        out = (probs @ v).transpose(0, 1).reshape(T, self.nh * self.hd)       # [T, nh * hd]
        return linear(out, L["o"])

    @torch.no_grad()
    def forward(self, tokens, attn="naive"):
        T = len(tokens)
        if any(t < 0 or t >= self.V for t in tokens):
            raise ValueError(f"token id out of range [0, {self.V})")
        cos, sin = self.rope(T)
        h = self.embed[torch.tensor(tokens, dtype=torch.long)]                # [T, H]
        for L in self.layers:
            h = h + self.attention(L, rms_norm(h, L["in_norm"], self.eps), cos, sin)
            h = h + swiglu_mlp(rms_norm(h, L["post_norm"], self.eps), *L["mlp"])
        return linear(rms_norm(h, self.norm, self.eps), self.lm_head)          # [T, V]

    def generate(self, prompt, n, attn="naive"):
        seq = list(prompt)
        first_logits, out = None, []
        for _ in range(n):
            last = self.forward(seq)[-1]
            if first_logits is None:
                first_logits = last
            nxt = int(np.argmax(last.numpy()))
            out.append(nxt)
            seq.append(nxt)
        if first_logits is None:
            first_logits = self.forward(seq)[-1]
        return first_logits, out
