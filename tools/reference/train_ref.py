#!/usr/bin/env python3
"""Independent PyTorch reference for r1's training step: loss, gradients, AdamW.

The forward pass is DeepSeek's (deepseek_ref.py's building blocks: RMSNorm, naive MLA with interleaved
RoPE, the sigmoid/softmax router with the noaux_tc bias, SwiGLU experts), written here for whole batches
with torch autograd, plus the multi-token-prediction modules of DeepSeek-V3 §2.2 with r1's documented
choices (docs/autograd.md):
  * depth k reads [enorm(Emb(t_{i+k})) | hnorm(h^{k-1}_i)] through eh_proj, h^0 = the main model's
    final-norm output, h^k = depth k's shared_head.norm output; embedding and output head are the main
    model's (the checkpoint's per-module copies are not read);
  * depth k runs over the S - k positions whose token t_{i+k} is in the input and predicts targets[i + k];
  * loss = CE(main) + mtp_weight * mean_k CE(depth k) + seq_aux_alpha * seq_aux, each CE the mean over
    targets != -100; seq_aux = DeepSeek-V3's complementary sequence-wise balance loss (§2.1.2, eq. 17-20)
    without alpha: per sequence (a row of the batch, T = S tokens) and main-model MoE layer,
    sum_i f_i P_i with s' = s / sum_j s (s = the unbiased sigmoid/softmax scores), f_i = N_r / (K_r T) *
    #{t: i in top-K_r of t} (a constant), P_i = mean_t s'_{i,t}; summed over the main model's MoE layers
    (not the MTP blocks) and averaged over the sequences.
Routing: selection on sigmoid(logits) + e_score_correction_bias (a constant: no gradient), weights from the
unbiased scores of the chosen experts, so the gradient reaches the router through the chosen weights only.

The optimizer mirrors src/train: AdamW with bias correction and decoupled decay on >= 2-D tensors only
(e_score_correction_bias is never updated by AdamW), global L2 clipping (norm accumulated in float64),
linear warmup + cosine LR (schedule.h), and the auxiliary-loss-free balancing rule of trainer.cpp
(b_e += gamma * sign(mean load - load_e) for the main model's MoE layers; the MTP block's bias is not
updated, as in trainer.cpp).

CLI: see make_train_golden.sh and bench/train_vs_pytorch.py (which import this module).
"""

import argparse
import hashlib
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from deepseek_ref import (Config, SafetensorsFolder, apply_rope, linear, rms_norm,  # noqa: E402
                          rope_tables, route, softmax_scale, swiglu_mlp)

IGNORE_INDEX = -100


# ============================================================================
# Parameters
# ============================================================================

def is_mtp_copy(name, cfg):
    """The checkpoint's per-MTP-module copies of the embedding and head (shared with the main model)."""
    for k in range(cfg.num_nextn_predict_layers):
        p = f"model.layers.{cfg.num_hidden_layers + k}."
        if name in (p + "embed_tokens.weight", p + "shared_head.head.weight"):
            return True
    return False


def load_params(folder, dtype):
    """name -> leaf tensor (requires_grad unless it is a router bias), in checkpoint name order."""
    cfg = Config.load(folder)
    if cfg.quantization_config is not None:
        raise ValueError("train_ref: use an unquantized checkpoint (r1 init --dtype f32)")
    st = SafetensorsFolder(folder)
    params = {}
    for name in sorted(st.file_of):
        if is_mtp_copy(name, cfg):
            continue
        t = torch.from_numpy(np.ascontiguousarray(st.read(name))).to(dtype)
        t.requires_grad_(not name.endswith("e_score_correction_bias"))
        params[name] = t
    return cfg, params


def trainable(params):
    return [(n, p) for n, p in params.items() if p.requires_grad]


# ============================================================================
# Forward
# ============================================================================

def mla(cfg, P, p, x, cos, sin, scale):
    """Naive multi-head latent attention over whole sequences. x: [B, S, H] -> [B, S, H]."""
    B, S, _ = x.shape
    nh, dn, dr, dv, C = (cfg.num_heads, cfg.qk_nope_head_dim, cfg.qk_rope_head_dim, cfg.v_head_dim,
                         cfg.kv_lora_rank)
    a = p + "self_attn."
    if cfg.q_lora_rank is None:
        q = linear(x, P[a + "q_proj.weight"])
    else:
        q = linear(rms_norm(linear(x, P[a + "q_a_proj.weight"]), P[a + "q_a_layernorm.weight"], cfg.rms_norm_eps),
                   P[a + "q_b_proj.weight"])
    q = q.view(B, S, nh, dn + dr)
    q_nope, q_pe = q[..., :dn], apply_rope(q[..., dn:], cos, sin)        # [B, S, nh, dn], [B, S, nh, dr]
    kv = linear(x, P[a + "kv_a_proj_with_mqa.weight"])                   # [B, S, C + dr]
    latent = rms_norm(kv[..., :C], P[a + "kv_a_layernorm.weight"], cfg.rms_norm_eps)  # [B, S, C]
    k_pe = apply_rope(kv[..., None, C:], cos, sin)                       # [B, S, 1, dr]
    kvb = linear(latent, P[a + "kv_b_proj.weight"]).view(B, S, nh, dn + dv)
    k = torch.cat([kvb[..., :dn], k_pe.expand(B, S, nh, dr)], dim=-1)    # [B, S, nh, dn + dr]
    v = kvb[..., dn:]                                                    # [B, S, nh, dv]
    qf = torch.cat([q_nope, q_pe], dim=-1)                               # [B, S, nh, dn + dr]
    scores = torch.einsum("bshd,bthd->bhst", qf, k) * scale              # [B, nh, S, S]
    future = torch.ones(S, S, dtype=torch.bool).triu(1)
    probs = torch.softmax(scores.masked_fill(future, float("-inf")), dim=-1)
    out = torch.einsum("bhst,bthd->bshd", probs, v).reshape(B, S, nh * dv)
    return linear(out, P[a + "o_proj.weight"])


def mlp(P, q, x):
    return swiglu_mlp(x, P[q + "gate_proj.weight"], P[q + "up_proj.weight"], P[q + "down_proj.weight"])


def moe(cfg, P, p, x, stats):
    """DeepSeekMoE over flattened tokens. x: [N, H] -> [N, H]; records the routing in stats."""
    m = p + "mlp."
    bias = P.get(m + "gate.e_score_correction_bias")
    logits = linear(x, P[m + "gate.weight"])                             # [N, E]
    weights, idx = route(logits, scoring_func=cfg.scoring_func, topk_method=cfg.topk_method,
                         n_group=cfg.n_group, topk_group=cfg.topk_group, top_k=cfg.num_experts_per_tok,
                         norm_topk_prob=cfg.norm_topk_prob, routed_scaling_factor=cfg.routed_scaling_factor,
                         bias=None if bias is None else bias.detach())
    # Selection margin: gap between the k-th and (k+1)-th choice values (a flip needs an error this large).
    with torch.no_grad():
        scores = torch.sigmoid(logits) if cfg.scoring_func == "sigmoid" else torch.softmax(logits, -1)
        choice = scores + bias if bias is not None else scores
        top = torch.sort(choice, dim=-1, descending=True).values
        K = cfg.num_experts_per_tok
        if K < top.shape[-1]:
            stats["margin"] = min(stats.get("margin", math.inf), float((top[:, K - 1] - top[:, K]).min()))
    stats.setdefault("idx", {})[p] = idx
    stats.setdefault("logits", {})[p] = logits
    y = torch.zeros_like(x)
    E = int(cfg.n_routed_experts)
    for j in range(E):
        tok, slot = torch.nonzero(idx == j, as_tuple=True)
        if tok.numel() == 0:
            continue
        y = y.index_add(0, tok, weights[tok, slot, None] * mlp(P, f"{m}experts.{j}.", x[tok]))
    if cfg.n_shared_experts:
        y = y + mlp(P, m + "shared_experts.", x)
    return y


def block(cfg, P, i, h, cos, sin, scale, moe_layer, stats):
    """Pre-norm decoder block. h: [B, S, H]."""
    p = f"model.layers.{i}."
    h = h + mla(cfg, P, p, rms_norm(h, P[p + "input_layernorm.weight"], cfg.rms_norm_eps), cos, sin, scale)
    x = rms_norm(h, P[p + "post_attention_layernorm.weight"], cfg.rms_norm_eps)
    B, S, H = x.shape
    f = moe(cfg, P, p, x.reshape(B * S, H), stats).view(B, S, H) if moe_layer else mlp(P, p + "mlp.", x)
    return h + f


def seq_balance(cfg, logits, idx, B, S):
    """sum_i f_i P_i of each sequence (DeepSeek-V3 eq. 17-20 without alpha). logits [B*S, E], idx [B*S, K] -> [B]."""
    E, K = int(cfg.n_routed_experts), cfg.num_experts_per_tok
    s = torch.sigmoid(logits) if cfg.scoring_func == "sigmoid" else torch.softmax(logits, -1)
    sn = (s / s.sum(-1, keepdim=True)).view(B, S, E)                     # s'_{i,t}
    count = torch.zeros(B, E, dtype=logits.dtype).scatter_add_(
        1, idx.reshape(B, S * K), torch.ones(B, S * K, dtype=logits.dtype))  # tokens per expert, no gradient
    f = count * E / (K * S)
    P = sn.mean(dim=1)                                                   # [B, E]
    return (f * P).sum(-1)


def ce(logits, targets):
    """Mean cross-entropy over targets != -100 (0 when there are none, as r1)."""
    V = logits.shape[-1]
    t = targets.reshape(-1)
    if int((t != IGNORE_INDEX).sum()) == 0:
        return logits.sum() * 0
    return F.cross_entropy(logits.reshape(-1, V), t, ignore_index=IGNORE_INDEX)


def forward_loss(cfg, P, tokens, targets, mtp_weight, stats=None, seq_aux_alpha=0.0):
    """tokens, targets: long [B, S]. Returns (total, main, mtp) losses as 0-d tensors; stats["seq_aux"] gets
    the balance loss without alpha (0-d tensor)."""
    stats = {} if stats is None else stats
    B, S = tokens.shape
    dtype = P["model.embed_tokens.weight"].dtype
    cos, sin = rope_tables(cfg, range(S), dtype)
    scale = softmax_scale(cfg)
    emb = P["model.embed_tokens.weight"]
    head = emb if cfg.tie_word_embeddings else P["lm_head.weight"]
    h = emb[tokens]                                                      # [B, S, H]
    for i in range(cfg.num_hidden_layers):
        h = block(cfg, P, i, h, cos, sin, scale, cfg.is_moe_layer(i), stats)
    hf = rms_norm(h, P["model.norm.weight"], cfg.rms_norm_eps)
    main = ce(linear(hf, head), targets)
    aux = torch.zeros(B, dtype=dtype)
    for i in range(cfg.num_hidden_layers):
        if cfg.is_moe_layer(i):
            p = f"model.layers.{i}."
            aux = aux + seq_balance(cfg, stats["logits"][p], stats["idx"][p], B, S)
    aux = aux.mean()
    stats["seq_aux"] = aux
    depths = min(cfg.num_nextn_predict_layers, S - 1)
    mtp = torch.zeros((), dtype=dtype)
    prev = hf                                                            # h^{k-1}: [B, S - k + 1, H]
    for k in range(1, depths + 1):
        L = cfg.num_hidden_layers + k - 1
        p = f"model.layers.{L}."
        Sk = S - k
        en = rms_norm(emb[tokens[:, k:]], P[p + "enorm.weight"], cfg.rms_norm_eps)        # [B, Sk, H]
        hn = rms_norm(prev[:, :Sk], P[p + "hnorm.weight"], cfg.rms_norm_eps)              # [B, Sk, H]
        x = linear(torch.cat([en, hn], dim=-1), P[p + "eh_proj.weight"])
        x = block(cfg, P, L, x, cos[:Sk], sin[:Sk], scale, cfg.n_routed_experts is not None, stats)
        prev = rms_norm(x, P[p + "shared_head.norm.weight"], cfg.rms_norm_eps)
        mtp = mtp + ce(linear(prev, head), targets[:, k:])
    if depths > 0:
        mtp = mtp / depths
    return main + mtp_weight * mtp + seq_aux_alpha * aux, main, mtp


# ============================================================================
# Optimizer (mirrors src/train/adamw.cpp, schedule.h, trainer.cpp)
# ============================================================================

def lr_at(step, lr, min_lr, warmup, total):
    if warmup > 0 and step < warmup:
        return lr * (step + 1) / warmup
    if step >= total:
        return min_lr
    span = total - warmup
    p = (step - warmup) / span if span > 0 else 1.0
    return min_lr + 0.5 * (lr - min_lr) * (1.0 + math.cos(math.pi * p))


class AdamW:
    def __init__(self, params, beta1=0.9, beta2=0.95, eps=1e-8, weight_decay=0.1):
        self.b1, self.b2, self.eps, self.wd = beta1, beta2, eps, weight_decay
        self.m = {n: torch.zeros_like(p) for n, p in trainable(params)}
        self.v = {n: torch.zeros_like(p) for n, p in trainable(params)}
        self.t = 0
        self.amax = {}

    @torch.no_grad()
    def step(self, params, lr, sens=None, eps_rel=1e-4):
        """Returns max |m_hat / sqrt(v_hat)|. With sens (name -> tensor), also accumulates for every element a
        bound on how far an implementation's weight may drift from this one's when its gradients differ by
        at most eps_rel * (the tensor's max |g| so far): the update ratio m_hat / sqrt(v_hat) then moves by
        at most eps_rel * A (1 + r) / sqrt(v_hat) (A = running max |g|, r = |ratio|; the weights of m_hat and
        v_hat sum to 1 after bias correction), and never by more than 2 r_max."""
        self.t += 1
        c1, c2 = 1.0 - self.b1 ** self.t, 1.0 - self.b2 ** self.t
        rmax = 0.0
        ratios = {}
        for n, w in trainable(params):
            g = w.grad
            m, v = self.m[n], self.v[n]
            m.mul_(self.b1).add_((1.0 - self.b1) * g)
            v.mul_(self.b2).add_((1.0 - self.b2) * g * g)
            if w.dim() >= 2:
                w.sub_(lr * self.wd * w)
            mh, vh = m / c1, v / c2
            upd = mh / (vh.sqrt() + self.eps)
            rmax = max(rmax, float(upd.abs().max()))
            ratios[n] = (upd, vh, float(g.abs().max()))
            w.sub_(lr * upd)
        if sens is not None:
            for n, (upd, vh, amax) in ratios.items():
                self.amax[n] = max(self.amax.get(n, 0.0), amax)
                d = eps_rel * self.amax[n] * (1 + upd.abs()) / vh.sqrt().clamp_min(1e-300)
                sens[n] += lr * torch.minimum(d, torch.full_like(d, 2 * rmax))
        return rmax


@torch.no_grad()
def clip_grad_norm(params, max_norm):
    sq = 0.0
    for _, p in trainable(params):
        sq += float((p.grad.double() ** 2).sum())
    norm = math.sqrt(sq)
    if max_norm > 0 and norm > max_norm:
        k = max_norm / norm
        for _, p in trainable(params):
            p.grad.mul_(k)
    return norm


@torch.no_grad()
def balance_bias(cfg, params, stats, gamma):
    """trainer.cpp's rule on the main model's MoE layers: b_e += gamma * sign(mean load - load_e)."""
    E = int(cfg.n_routed_experts or 0)
    for i in range(cfg.num_hidden_layers):
        if not cfg.is_moe_layer(i):
            continue
        p = f"model.layers.{i}."
        load = torch.bincount(stats["idx"][p].reshape(-1), minlength=E).double()
        mean = load.sum() / E
        bias = params.get(p + "mlp.gate.e_score_correction_bias")
        if gamma > 0 and bias is not None:
            bias.add_((gamma * torch.sign(mean - load)).to(bias.dtype))


# ============================================================================
# The fixed batch
# ============================================================================

def train_batch(B, S, V):
    """tokens [B, S] and next-token targets from a formula sequence of S + 1 ids per row; two targets are
    ignore_index (-100): row 0 position 5 and row B-1 position S-3 (the latter also skips MTP depth 1's
    target at position S-4)."""
    seq = [[(i * i * 7 + i * 37 + b * 101 + 11) % V for i in range(S + 1)] for b in range(B)]
    tokens = torch.tensor([r[:S] for r in seq], dtype=torch.long)
    targets = torch.tensor([r[1:] for r in seq], dtype=torch.long)
    targets[0, 5] = IGNORE_INDEX
    targets[B - 1, S - 3] = IGNORE_INDEX
    return tokens, targets


def sample_indices(name, numel, grad, n_hash=12, n_top=4):
    """n_hash indices from a hash of the tensor name, then the n_top largest |grad| not yet chosen."""
    seed = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "little")
    rng = np.random.Generator(np.random.PCG64(seed))
    out = []
    for i in rng.permutation(numel)[:n_hash] if numel > n_hash else range(numel):
        out.append(int(i))
    order = np.argsort(-np.abs(grad.reshape(-1)), kind="stable")
    for i in order:
        if len(out) >= min(numel, n_hash + n_top):
            break
        if int(i) not in out:
            out.append(int(i))
    return out


# ============================================================================
# Golden file
# ============================================================================

def golden(args):
    dtype = torch.float64 if args.dtype == "float64" else torch.float32
    cfg, P = load_params(args.model, dtype)
    tokens, targets = train_batch(args.batch, args.seq, cfg.vocab_size)
    stats = {}
    total, main, mtp = forward_loss(cfg, P, tokens, targets, args.mtp_weight, stats, args.seq_aux_alpha)
    total.backward()
    grads = {}
    for n, p in trainable(P):
        if p.grad is None:
            print(f"warning: {n} gets no gradient from this batch", file=sys.stderr)
            p.grad = torch.zeros_like(p)
        g = p.grad.detach().double().numpy()
        idx = sample_indices(n, g.size, g)
        flat = g.reshape(-1)
        grads[n] = {"shape": list(g.shape), "norm": float(np.sqrt((g * g).sum())),
                    "max_abs": float(np.abs(g).max()), "index": idx, "value": [float(flat[i]) for i in idx]}
    step0 = {"main": float(main), "mtp": float(mtp), "seq_aux": float(stats["seq_aux"]), "total": float(total),
             "margin": stats.get("margin")}

    # AdamW steps on the same batch (step 0's gradient is recomputed: the loop starts from fresh params).
    cfg, P = load_params(args.model, dtype)
    opt = AdamW(P, args.beta1, args.beta2, 1e-8, args.weight_decay)
    sens = {n: torch.zeros_like(p, dtype=torch.float64) for n, p in trainable(P)}  # weight drift bound
    steps = []
    for s in range(args.steps):
        for _, p in trainable(P):
            p.grad = None
        st = {}
        total, main, mtp = forward_loss(cfg, P, tokens, targets, args.mtp_weight, st, args.seq_aux_alpha)
        total.backward()
        for _, p in trainable(P):
            if p.grad is None:
                p.grad = torch.zeros_like(p)
        gl1 = sum(float(p.grad.double().abs().sum()) for _, p in trainable(P))
        # First-order effect of the weight drift so far on this step's loss: sum_i |g_i| * drift_i.
        drift_loss = sum(float((p.grad.double().abs() * sens[n]).sum()) for n, p in trainable(P))
        gnorm = clip_grad_norm(P, args.clip)
        lr = lr_at(s, args.lr, args.min_lr, args.warmup, args.steps)
        rmax = opt.step(P, lr, sens)
        balance_bias(cfg, P, st, args.bias_gamma)
        steps.append({"step": s, "total": float(total), "main": float(main), "mtp": float(mtp),
                      "seq_aux": float(st["seq_aux"]), "lr": lr,
                      "grad_norm": gnorm, "grad_l1": gl1, "update_max": rmax, "drift_loss": drift_loss, "margin": st.get("margin")})
    # Weights after the steps at the sampled indices, with their drift bounds; the router biases whole.
    after = {}
    for n, p in P.items():
        flat = p.detach().double().reshape(-1)
        if n in grads:
            idx = grads[n]["index"]
            after[n] = {"index": idx, "value": [float(flat[i]) for i in idx],
                        "drift": [float(sens[n].reshape(-1)[i]) for i in idx]}
        else:
            after[n] = {"index": list(range(flat.numel())), "value": [float(x) for x in flat]}
    out = {
        "model": os.path.basename(os.path.normpath(args.model)), "dtype": args.dtype,
        "batch": args.batch, "seq": args.seq, "tokens": tokens.tolist(), "targets": targets.tolist(),
        "mtp_weight": args.mtp_weight, "seq_aux_alpha": args.seq_aux_alpha,
        "optimizer": {"lr": args.lr, "min_lr": args.min_lr, "warmup": args.warmup, "total": args.steps,
                      "beta1": args.beta1, "beta2": args.beta2, "eps": 1e-8, "weight_decay": args.weight_decay,
                      "clip": args.clip, "bias_gamma": args.bias_gamma},
        "loss": step0, "grads": grads, "steps": steps, "after": after,
    }
    text = json.dumps(out, separators=(",", ":")) + "\n"
    with open(args.out, "w") as f:
        f.write(text)
    print(f"{args.out}: loss {step0['total']:.6f} (main {step0['main']:.6f}, mtp {step0['mtp']:.6f}, "
          f"seq_aux {step0['seq_aux']:.6f} x alpha {args.seq_aux_alpha}), "
          f"min selection margin {step0['margin']:.3g}; step losses "
          + " ".join(f"{s['total']:.5f}" for s in steps) + f"; min step margin "
          f"{min(s['margin'] for s in steps):.3g}")


def compare(args):
    """Max relative difference between two golden files (e.g. the float32 reference against float64)."""
    a, b = (json.load(open(f)) for f in args.files)
    worst = {}
    for n, ga in a["grads"].items():
        gb = b["grads"][n]
        cls = n.split(".")[-2] if "experts" not in n else "experts"
        e = max(abs(x - y) for x, y in zip(ga["value"], gb["value"])) / max(gb["max_abs"], 1e-300)
        e = max(e, abs(ga["norm"] - gb["norm"]) / max(gb["norm"], 1e-300))
        worst[cls] = max(worst.get(cls, 0.0), e)
    for k in sorted(worst):
        print(f"  {k:32s} {worst[k]:.2e}")
    for key in ("main", "mtp", "seq_aux", "total"):
        print(f"  loss {key}: {abs(a['loss'][key] - b['loss'][key]) / abs(b['loss'][key]):.2e}")
    print("  steps: " + " ".join(f"{abs(x['total'] - y['total']) / abs(y['total']):.1e}"
                                 for x, y in zip(a["steps"], b["steps"])))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("golden", help="write a training golden file")
    g.add_argument("--model", required=True)
    g.add_argument("--out", required=True)
    g.add_argument("--dtype", choices=["float32", "float64"], default="float64")
    g.add_argument("--batch", type=int, default=4)
    g.add_argument("--seq", type=int, default=32)
    g.add_argument("--mtp-weight", type=float, default=0.3)
    g.add_argument("--seq-aux-alpha", type=float, default=0.0)
    g.add_argument("--steps", type=int, default=10)
    g.add_argument("--lr", type=float, default=1e-3)
    g.add_argument("--min-lr", type=float, default=1e-4)
    g.add_argument("--warmup", type=int, default=2)
    g.add_argument("--beta1", type=float, default=0.9)
    g.add_argument("--beta2", type=float, default=0.95)
    g.add_argument("--weight-decay", type=float, default=0.1)
    g.add_argument("--clip", type=float, default=1.0)
    g.add_argument("--bias-gamma", type=float, default=1e-3)
    c = sub.add_parser("compare", help="max relative differences between two golden files")
    c.add_argument("files", nargs=2)
    args = ap.parse_args(argv)
    torch.set_num_threads(1)  # small tensors: one thread is fastest, and deterministic
    if args.cmd == "golden":
        golden(args)
    else:
        compare(args)


if __name__ == "__main__":
    main()
