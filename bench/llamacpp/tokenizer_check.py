#!/usr/bin/env python3
"""Compare llama.cpp's token ids (r1-tokenize-llamacpp `ids` mode, one vocab load for all texts) with
`r1 tokenize --json` (one process per text, text on stdin) on strings of tests/fixtures/tokenizer_corpus.json.

Usage: tokenizer_check.py R1 TOKENIZER_DIR LLAMA_TOOL VOCAB.gguf [--every K] [--llama-tokenize BIN --cli N]
  --every K            check corpus strings 0, K, 2K, ... (default 1: all)
  --llama-tokenize BIN also run llama.cpp's own llama-tokenize CLI on the first N checked strings (--cli N) and
                       check it gives the same ids as the library call
Prints the agreement count and every differing string (index, repr, both id lists); exit 1 on a difference.
"""

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("r1")
    ap.add_argument("tokenizer_dir")
    ap.add_argument("llama_tool")
    ap.add_argument("vocab")
    ap.add_argument("--corpus", default=str(Path(__file__).resolve().parents[2] / "tests/fixtures/tokenizer_corpus.json"))
    ap.add_argument("--every", type=int, default=1)
    ap.add_argument("--llama-tokenize")
    ap.add_argument("--cli", type=int, default=20)
    args = ap.parse_args()

    corpus = json.load(open(args.corpus, encoding="utf-8"))
    idx = list(range(0, len(corpus), args.every))
    with tempfile.NamedTemporaryFile("wb", suffix=".rec", delete=False) as f:
        for i in idx:
            b = corpus[i].encode("utf-8", "surrogatepass")
            f.write(f"{len(b)}\n".encode() + b)
        rec = f.name
    out = subprocess.run([args.llama_tool, "ids", args.vocab, rec], capture_output=True, check=True).stdout
    lines = out.decode().split("\n")[:len(idx)]
    llama = {i: [int(x) for x in line.split(",") if x] for i, line in zip(idx, lines)}
    Path(rec).unlink()

    same, diffs = 0, []
    for i in idx:
        r = subprocess.run([args.r1, "tokenize", "--model", args.tokenizer_dir, "--json"],
                           input=corpus[i].encode("utf-8", "surrogatepass"), capture_output=True, check=True)
        ids = json.loads(r.stdout)["ids"]
        if ids == llama[i]:
            same += 1
        else:
            diffs.append((i, ids, llama[i]))
    print(f"llama.cpp (library) vs r1: {same}/{len(idx)} corpus strings give identical ids")
    for i, a, b in diffs:
        print(f"  #{i} {corpus[i][:120]!r}\n    r1:    {a[:40]}\n    llama: {b[:40]}")

    cli_bad = 0
    if args.llama_tokenize:
        for i in idx[:args.cli]:
            if "\0" in corpus[i]:
                continue
            r = subprocess.run([args.llama_tokenize, "-m", args.vocab, "--ids", "--no-bos", "--no-escape",
                                "--log-disable", "--stdin"], input=corpus[i].encode("utf-8", "surrogatepass"),
                               capture_output=True, check=True)
            ids = json.loads(r.stdout.decode().strip().splitlines()[-1])
            if ids != llama[i]:
                cli_bad += 1
                print(f"  llama-tokenize differs from the library call on #{i}: {ids[:40]} vs {llama[i][:40]}")
        print(f"llama-tokenize CLI vs library call: {min(args.cli, len(idx)) - cli_bad}/{min(args.cli, len(idx))} same")
    sys.exit(1 if diffs or cli_bad else 0)


if __name__ == "__main__":
    main()
