#!/usr/bin/env python3
"""Check a converted GGUF against r1 on the same weights and the same token ids (no tokenizer involved).

  1. logits of the last prompt position: `r1 logits --tokens IDS` vs r1-probe-llamacpp (libllama, f32 KV cache);
     max |diff|, relative L2 error, argmax and top-5 agreement;
  2. greedy continuations: `r1 generate --tokens IDS --temperature 0 --ignore-eos` vs the probe's argmax loop;
     where they part, the logits of both engines at that prefix are compared and the top-2 margin printed, so a
     near-tie (a legitimate rounding difference) can be told from a conversion error.

Usage: verify.py --r1 build/r1 --probe BUILD/bin/r1-probe-llamacpp --model DIR --gguf FILE
                 [--tokens 0,17,...] [--n-gen 16] [--threads 2] [--max-rel 0.02]
Exit status 1 when the first-step argmax differs or the relative L2 error is above --max-rel.
"""

import argparse
import json
import subprocess
import sys

import numpy as np


def run_json(cmd):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def r1_logits(a, toks):
    return np.array(run_json([a.r1, "logits", "--model", a.model, "--tokens", ",".join(map(str, toks)),
                              "-t", str(a.threads)])["logits"], dtype=np.float64)


def probe(a, toks, n_gen):
    j = run_json([a.probe, a.gguf, ",".join(map(str, toks)), str(n_gen), str(a.threads), a.kv, a.fa])
    return j["tokens"], np.array(j["logits"], dtype=np.float64)


def compare(r, l):
    n = min(len(r), len(l))  # llama.cpp's vocab is padded to vocab_size, as r1's logits are
    r, l = r[:n], l[:n]
    d = np.abs(r - l)
    rel = float(np.linalg.norm(r - l) / max(np.linalg.norm(r), 1e-30))
    top_r, top_l = np.argsort(-r)[:5], np.argsort(-l)[:5]
    sr = np.sort(r)[::-1]
    return {"max_abs": float(d.max()), "rel_l2": rel, "argmax_r1": int(top_r[0]), "argmax_llama": int(top_l[0]),
            "top5_overlap": len(set(top_r) & set(top_l)), "r1_top2_margin": float(sr[0] - sr[1])}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--r1", required=True)
    ap.add_argument("--probe", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--gguf", required=True)
    ap.add_argument("--tokens", default="0,17,5,99,300,42,7,256,128,64,33,21,9,400,12,3")
    ap.add_argument("--n-gen", type=int, default=16)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--kv", default="f32", help="llama.cpp KV cache type in the probe: f32 or f16")
    ap.add_argument("--fa", default="off", help="llama.cpp flash attention in the probe: off (default; on CPU it "
                    "rounds Q/K/V to f16), on or auto")
    ap.add_argument("--max-rel", type=float, default=0.02)
    a = ap.parse_args()

    cfg = json.load(open(f"{a.model}/config.json"))
    prompt = [int(t) % cfg["vocab_size"] for t in a.tokens.split(",")]

    l_tokens, l_logits = probe(a, prompt, a.n_gen)
    r_logits = r1_logits(a, prompt)
    c = compare(r_logits, l_logits)
    r_tokens = run_json([a.r1, "generate", "--model", a.model, "--tokens", ",".join(map(str, prompt)),
                         "-n", str(a.n_gen), "--temperature", "0", "--ignore-eos", "--json",
                         "-t", str(a.threads)])["tokens"]

    agree = 0
    while agree < min(len(r_tokens), len(l_tokens)) and r_tokens[agree] == l_tokens[agree]:
        agree += 1
    print(f"prompt ({len(prompt)} ids): {','.join(map(str, prompt))}")
    print(f"step-1 logits: max|r1-llama| = {c['max_abs']:.3g}, rel L2 = {c['rel_l2']:.3g}, argmax r1 {c['argmax_r1']} "
          f"/ llama.cpp {c['argmax_llama']}, top-5 overlap {c['top5_overlap']}/5, r1 top-2 margin {c['r1_top2_margin']:.3g}")
    print(f"greedy r1:        {r_tokens}")
    print(f"greedy llama.cpp: {l_tokens}")
    print(f"greedy agreement: {agree}/{min(len(r_tokens), len(l_tokens))} tokens")
    if agree < min(len(r_tokens), len(l_tokens)):
        prefix = prompt + r_tokens[:agree]
        cd = compare(r1_logits(a, prefix), probe(a, prefix, 1)[1])
        near_tie = cd["rel_l2"] <= a.max_rel and cd["r1_top2_margin"] <= 2 * cd["max_abs"]
        print(f"  at the first difference (prefix of {len(prefix)}): rel L2 = {cd['rel_l2']:.3g}, r1 top-2 margin "
              f"{cd['r1_top2_margin']:.3g} vs max|diff| {cd['max_abs']:.3g} -> "
              + ("a near-tie: rounding differences decide it" if near_tie else "the logits differ beyond rounding"))
    ok = c["argmax_r1"] == c["argmax_llama"] and c["rel_l2"] <= a.max_rel
    print("verify:", "OK" if ok else "MISMATCH")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
