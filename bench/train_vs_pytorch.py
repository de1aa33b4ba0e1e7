#!/usr/bin/env python3
"""Training throughput: `r1 train` against PyTorch (tools/reference/train_ref.py's model with
torch.optim.AdamW), same weights, same batch shape, full steps (forward + backward + clipping + AdamW).

Usage: /usr/bin/python3 bench/train_vs_pytorch.py [--r1 build/r1] [--batch 8] [--seq 128] [--steps 8]
                                                  [--repeats 3] [--threads 1,2] [--configs tiny,256x4]

For each config and thread count it runs `r1 train --init CKPT` `repeats` times (OMP_NUM_THREADS,
OPENBLAS_NUM_THREADS and -t set to the thread count; R1_GEMM_STATS=1 for the matmul FLOPs and time) and
PyTorch for the same number of steps (torch.set_num_threads), and reports tokens/s as the median over all
timed steps (the first two of each run are warm-up), their ratio, the r1 sgemm GFLOP/s, the share of r1's
step time spent in sgemm, and the fp32 FMA peak of the machine (bench/fma_peak.cpp) for 1 and 2 threads.

OpenBLAS picks its kernels when it loads: OPENBLAS_CORETYPE in the environment of this script applies to both
r1 and PyTorch (this machine's environment sets OPENBLAS_CORETYPE=Haswell, the AVX2 kernels; run the script
under `env -u OPENBLAS_CORETYPE` for OpenBLAS's own choice, Cooperlake's AVX-512 kernels on this CPU).

Configs: tiny = r1 init's train-tiny (dim 128, 3 layers, 8 experts top-2 + 1 shared, MTP 1, vocab 265);
256x4 = the same family at dim 256, 4 layers, 8 heads, kv_lora 128, intermediate 768, experts 8 x 192.
"""

import argparse
import json
import os
import re
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.dirname(here)
sys.path.insert(0, os.path.join(root, "tools", "reference"))
import train_ref  # noqa: E402


def write_safetensors(path, tensors):
    """name -> float32 numpy array, as one model.safetensors."""
    header, offset, blobs = {}, 0, []
    for name, a in tensors.items():
        b = np.ascontiguousarray(a, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + len(b)]}
        offset += len(b)
        blobs.append(b)
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def make_256x4(tiny_dir, out_dir, seed=1):
    """train-tiny's config scaled to dim 256 / 4 layers, random weights (N(0, 0.02), norms 1, bias 0)."""
    cfg = json.load(open(os.path.join(tiny_dir, "config.json")))
    cfg.update({"hidden_size": 256, "intermediate_size": 768, "moe_intermediate_size": 192,
                "num_hidden_layers": 4, "num_attention_heads": 8, "num_key_value_heads": 8,
                "kv_lora_rank": 128})
    os.makedirs(out_dir, exist_ok=True)
    json.dump(cfg, open(os.path.join(out_dir, "config.json"), "w"), indent=2)
    c = train_ref.Config(cfg)
    H, nh, V = c.hidden_size, c.num_heads, c.vocab_size
    dn, dr, dv, C = c.qk_nope_head_dim, c.qk_rope_head_dim, c.v_head_dim, c.kv_lora_rank
    rng = np.random.default_rng(seed)
    T = {}

    def mat(name, o, i):
        T[name] = rng.normal(0, 0.02, (o, i)).astype(np.float32)

    def vec(name, n, fill=1.0):
        T[name] = np.full((n,), fill, np.float32)

    def blk(L, moe):
        p = f"model.layers.{L}."
        vec(p + "input_layernorm.weight", H)
        vec(p + "post_attention_layernorm.weight", H)
        mat(p + "self_attn.q_proj.weight", nh * (dn + dr), H)
        mat(p + "self_attn.kv_a_proj_with_mqa.weight", C + dr, H)
        vec(p + "self_attn.kv_a_layernorm.weight", C)
        mat(p + "self_attn.kv_b_proj.weight", nh * (dn + dv), C)
        mat(p + "self_attn.o_proj.weight", H, nh * dv)

        def mlp(q, inter):
            mat(q + "gate_proj.weight", inter, H)
            mat(q + "up_proj.weight", inter, H)
            mat(q + "down_proj.weight", H, inter)
        if moe:
            E = int(c.n_routed_experts)
            mat(p + "mlp.gate.weight", E, H)
            vec(p + "mlp.gate.e_score_correction_bias", E, 0.0)
            for j in range(E):
                mlp(f"{p}mlp.experts.{j}.", c.moe_intermediate_size)
            mlp(p + "mlp.shared_experts.", c.n_shared_experts * c.moe_intermediate_size)
        else:
            mlp(p + "mlp.", c.intermediate_size)

    mat("model.embed_tokens.weight", V, H)
    for i in range(c.num_hidden_layers):
        blk(i, c.is_moe_layer(i))
    vec("model.norm.weight", H)
    mat("lm_head.weight", V, H)
    for k in range(c.num_nextn_predict_layers):
        L = c.num_hidden_layers + k
        p = f"model.layers.{L}."
        T[p + "embed_tokens.weight"] = T["model.embed_tokens.weight"]
        vec(p + "enorm.weight", H)
        vec(p + "hnorm.weight", H)
        mat(p + "eh_proj.weight", H, 2 * H)
        blk(L, True)
        vec(p + "shared_head.norm.weight", H)
        T[p + "shared_head.head.weight"] = T["lm_head.weight"]
    write_safetensors(os.path.join(out_dir, "model.safetensors"), T)


def r1_run(r1, ck, data, out, a, threads):
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads), R1_GEMM_STATS="1")
    shutil.rmtree(out, ignore_errors=True)
    cmd = [r1, "train", "--init", ck, "--data", data, "--out", out, "--steps", str(a.steps), "--batch", str(a.batch),
           "--seq", str(a.seq), "--warmup", "0", "-t", str(threads), "--no-progress"]
    p = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(" ".join(cmd) + "\n" + p.stderr)
    log = [json.loads(l) for l in open(os.path.join(out, "train_log.jsonl")) if l.strip()]
    rates = [l["tokens_per_s"] for l in log[2:]]
    step_s = sum(a.batch * a.seq / l["tokens_per_s"] for l in log)  # all steps' time (gemm stats cover all)
    m = re.search(r"r1 gemm stats: (\d+) sgemm calls, ([\d.]+) GFLOP, ([\d.]+) s", p.stderr)
    gflop, gsec = (float(m.group(2)), float(m.group(3))) if m else (float("nan"), float("nan"))
    return rates, gflop, gsec, step_s, " ".join(cmd)


def torch_run(ck, a, threads, vocab):
    torch.set_num_threads(threads)
    cfg, P = train_ref.load_params(ck, torch.float32)
    decay = [p for _, p in train_ref.trainable(P) if p.dim() >= 2]
    no_decay = [p for _, p in train_ref.trainable(P) if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=1e-3, betas=(0.9, 0.95), eps=1e-8, foreach=True)  # multi-tensor: PyTorch's fastest
    g = torch.Generator().manual_seed(0)
    rates = []
    for s in range(a.steps):
        seq = torch.randint(0, vocab, (a.batch, a.seq + 1), generator=g)
        tokens, targets = seq[:, :-1], seq[:, 1:]
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        st = {}
        total, _, _ = train_ref.forward_loss(cfg, P, tokens, targets, 0.3, st)
        total.backward()
        torch.nn.utils.clip_grad_norm_([p for _, p in train_ref.trainable(P)], 1.0)
        opt.step()
        train_ref.balance_bias(cfg, P, st, 1e-3)
        dt = time.perf_counter() - t0
        if s >= 2:
            rates.append(a.batch * a.seq / dt)
    return rates


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--r1", default=os.path.join(root, "build", "r1"))
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--seq", type=int, default=128)
    ap.add_argument("--steps", type=int, default=8)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--configs", default="tiny,256x4")
    a = ap.parse_args()
    threads = [int(t) for t in a.threads.split(",")]
    tmp = tempfile.mkdtemp(prefix="r1_trainbench_")
    try:
        print("uptime:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
        print("OPENBLAS_CORETYPE:", os.environ.get("OPENBLAS_CORETYPE", "(unset: OpenBLAS's own detection)"))
        exe = os.path.join(tmp, "fma_peak")
        subprocess.run(["g++", "-O3", "-mavx2", "-mfma", "-mavx512f", "-fopenmp", os.path.join(here, "fma_peak.cpp"),
                        "-o", exe], check=True)
        peaks = {t: [float(x) for x in subprocess.run([exe, str(t)], capture_output=True, text=True,
                                                      check=True).stdout.split()] for t in threads}
        peak = {t: p[0] for t, p in peaks.items()}        # AVX2: what OpenBLAS's Haswell kernels can reach
        peak512 = {t: p[1] for t, p in peaks.items()}     # AVX-512 where the CPU has it (0 otherwise)
        print("fp32 FMA peak GFLOP/s (AVX2, AVX-512):", peaks)
        text = os.path.join(tmp, "text.txt")
        with open(text, "w") as f:
            for i in range(4000):
                f.write(f"line {i}: the quick brown fox {i * 7919 % 1000} jumps over the lazy dog {i % 13}.\n")
        subprocess.run([a.r1, "corpus", "--text", text, "--out", os.path.join(tmp, "data")], check=True,
                       capture_output=True)
        data = os.path.join(tmp, "data", "train.tok")
        tiny = os.path.join(tmp, "tiny")
        subprocess.run([a.r1, "init", "--config", "train-tiny", "--dtype", "f32", "--seed", "1", "--out", tiny],
                       check=True, capture_output=True)
        cks = {"tiny": tiny}
        if "256x4" in a.configs:
            make_256x4(tiny, os.path.join(tmp, "256x4"))
            cks["256x4"] = os.path.join(tmp, "256x4")
        rows = []
        for name in a.configs.split(","):
            ck = cks[name]
            vocab = json.load(open(os.path.join(ck, "config.json")))["vocab_size"]
            for t in threads:
                r1_rates, tr_rates, gf, gs, st = [], [], 0.0, 0.0, 0.0
                load0 = os.getloadavg()[0]
                for _ in range(a.repeats):
                    rr, gflop, gsec, step_s, cmd = r1_run(a.r1, ck, data, os.path.join(tmp, "out"), a, t)
                    r1_rates += rr
                    gf, gs, st = gf + gflop, gs + gsec, st + step_s
                    tr_rates += torch_run(ck, a, t, vocab)
                r1m, trm = statistics.median(r1_rates), statistics.median(tr_rates)
                load = f"{load0:.2f}->{os.getloadavg()[0]:.2f}"
                p512 = gf / gs / peak512[t] if peak512[t] > 0 else float("nan")
                rows.append((name, t, r1m, trm, r1m / trm, gf / gs, gf / gs / peak[t], p512, gs / st, load))
                print(f"{name} t={t}: r1 {r1m:.0f} tok/s, PyTorch {trm:.0f} tok/s, ratio {r1m / trm:.2f}, "
                      f"sgemm {gf / gs:.1f} GFLOP/s = {100 * gf / gs / peak[t]:.0f}% of AVX2 FMA peak "
                      f"({100 * p512:.0f}% of AVX-512), "
                      f"{100 * gs / st:.0f}% of r1 step time in sgemm, load average {load}   [{cmd}]", flush=True)
        print("uptime:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
        print("\n| model | threads | r1 tok/s | PyTorch tok/s | r1 / PyTorch | r1 sgemm GFLOP/s | % of AVX2 FMA peak "
              "| % of AVX-512 FMA peak | % of r1 step in sgemm | load avg |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        for n, t, r, p, q, g, f, f5, s, ld in rows:
            print(f"| {n} | {t} | {r:.0f} | {p:.0f} | {q:.2f} | {g:.1f} | {100 * f:.0f}% | {100 * f5:.0f}% "
                  f"| {100 * s:.0f}% | {ld} |")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
