#!/usr/bin/env python3
"""Search for a (model seed, prompt[, temperature, sampling seed]) whose generated chat output contains
<think> (id 5) followed later by </think> (id 6), for the reasoning_content check of openai_e2e.mjs.

Usage: find_think_seed.py R1_BINARY SCRATCH_DIR [--config tiny-v3] [--seeds 1-200] [--max-tokens 64]
                          [--temperature 0] [--sample-seeds 0-0]
Prints one JSON line per hit: {"model_seed", "prompt", "temperature", "seed", "tokens_at": [i5, i6]}.
"""
import argparse
import json
import os
import subprocess
import sys

PROMPTS = ["Hello there", "hi", "What is 2+2?", "Tell me a story.", "Why is the sky blue?", "ok"]


def rng(s):
    a, b = s.split("-") if "-" in s else (s, s)
    return range(int(a), int(b) + 1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("r1")
    ap.add_argument("scratch")
    ap.add_argument("--config", default="tiny-v3")
    ap.add_argument("--seeds", default="1-200")
    ap.add_argument("--max-tokens", type=int, default=64)
    ap.add_argument("--temperature", type=float, default=0.0)
    ap.add_argument("--sample-seeds", default="0-0")
    ap.add_argument("--first", action="store_true", help="stop at the first hit")
    a = ap.parse_args()
    os.makedirs(a.scratch, exist_ok=True)
    model = os.path.join(a.scratch, "think_search_model")
    for ms in rng(a.seeds):
        subprocess.run([a.r1, "init", "--config", a.config, "--out", model, "--seed", str(ms)], check=True,
                       stdout=subprocess.DEVNULL)
        for p in PROMPTS:
            for ss in rng(a.sample_seeds):
                out = subprocess.run([a.r1, "generate", "--model", model, "--chat", "--prompt", p, "--max-tokens",
                                      str(a.max_tokens), "--temperature", str(a.temperature), "--seed", str(ss),
                                      "--ignore-eos", "--json", "-t", "1"],
                                     check=True, capture_output=True).stdout
                toks = json.loads(out)["tokens"]
                if 5 in toks:
                    i5 = toks.index(5)
                    if 6 in toks[i5 + 1:]:
                        i6 = toks.index(6, i5 + 1)
                        print(json.dumps({"model_seed": ms, "prompt": p, "temperature": a.temperature, "seed": ss,
                                          "tokens_at": [i5, i6]}), flush=True)
                        if a.first:
                            return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
