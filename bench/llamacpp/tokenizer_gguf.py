#!/usr/bin/env python3
"""Write a vocab-only GGUF (metadata, no tensors) from a byte-level BPE tokenizer.json, for llama.cpp's
`vocab_only` loading (llama-tokenize, or bench/llamacpp/tokenize_bench.cpp).

What llama.cpp reads for a vocab-only file: general.architecture (any architecture it knows; we write
"deepseek2", what DeepSeek-V2/V3 convert to) and the tokenizer.ggml.* keys. Its load_hparams() returns right
after general.name when vocab_only is set, so no hyper-parameters are needed.

  * tokenizer.ggml.model  = "gpt2" (byte-level BPE)
  * tokenizer.ggml.pre    = --pre (default "deepseek-v3", llama.cpp's LLAMA_VOCAB_PRE_TYPE_DEEPSEEK3_LLM)
  * tokens                = every id from 0 to the largest id, base vocab plus added tokens, in id order
                            (no padding to the model's vocab_size: a tokenizer never emits those ids)
  * token types           = NORMAL for the base vocab, CONTROL for added tokens with special=true,
                            USER_DEFINED for added tokens with special=false
  * merges, bos/eos/pad ids (from tokenizer_config.json), add_bos/add_eos = false by default, so that
    llama_tokenize(add_special=true) gives what tokenizer.json's encoding alone gives.

Note: llama.cpp's own converter also marks added tokens that merely *look* special (<｜...｜>, <|...|>) as CONTROL,
e.g. DeepSeek-V3's non-special <｜fim▁hole｜>. We follow the tokenizer.json flag instead. Tokenization is the same
either way when llama.cpp is asked to parse special tokens (parse_special = true, what Hugging Face does).

Usage: tokenizer_gguf.py TOKENIZER_DIR OUT.gguf [--pre NAME] [--add-bos] [--llamacpp-src DIR]
"""

import argparse
import json
import os
import sys
from pathlib import Path


def token_id(entry, vocab, added_by_content):
    if entry is None:
        return None
    content = entry["content"] if isinstance(entry, dict) else entry
    if content in added_by_content:
        return added_by_content[content]
    return vocab.get(content)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("tokenizer_dir", type=Path, help="folder with tokenizer.json (and tokenizer_config.json)")
    ap.add_argument("outfile", type=Path)
    ap.add_argument("--pre", default="deepseek-v3", help="tokenizer.ggml.pre (default deepseek-v3)")
    ap.add_argument("--arch", default="deepseek2", help="general.architecture (default deepseek2)")
    ap.add_argument("--add-bos", action="store_true", help="set tokenizer.ggml.add_bos_token (default false)")
    ap.add_argument("--llamacpp-src", default=os.environ.get("LLAMACPP_SRC", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "llamacpp-src")),
                    help="llama.cpp tree whose gguf-py is used (default $LLAMACPP_SRC or llamacpp-src beside the checkout)")
    args = ap.parse_args()

    sys.path.insert(0, str(Path(args.llamacpp_src) / "gguf-py"))
    import gguf

    tj = json.loads((args.tokenizer_dir / "tokenizer.json").read_text(encoding="utf-8"))
    model = tj["model"]
    if model.get("type") != "BPE":
        raise SystemExit(f"tokenizer.json model type {model.get('type')!r}: only byte-level BPE is handled")
    vocab = model["vocab"]
    added = {a["id"]: a for a in tj.get("added_tokens", [])}
    added_by_content = {a["content"]: i for i, a in added.items()}

    id2tok = {i: t for t, i in vocab.items()}
    for i, a in added.items():
        id2tok[i] = a["content"]
    n = max(id2tok) + 1
    missing = [i for i in range(n) if i not in id2tok]
    if missing:
        raise SystemExit(f"{len(missing)} ids without a token (first {missing[:5]})")

    TT = gguf.TokenType
    tokens, types = [], []
    for i in range(n):
        tokens.append(id2tok[i])
        if i in added:
            types.append(TT.CONTROL if added[i].get("special", False) else TT.USER_DEFINED)
        else:
            types.append(TT.NORMAL)
    merges = [m if isinstance(m, str) else " ".join(m) for m in model.get("merges", [])]

    tc = {}
    if (args.tokenizer_dir / "tokenizer_config.json").is_file():
        tc = json.loads((args.tokenizer_dir / "tokenizer_config.json").read_text(encoding="utf-8"))

    w = gguf.GGUFWriter(str(args.outfile), args.arch)
    w.add_type(gguf.GGUFType.MODEL)
    w.add_name(args.tokenizer_dir.name + " (vocab only)")
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre(args.pre)
    w.add_token_list(tokens)
    w.add_token_types(types)
    w.add_token_merges(merges)
    for key, add in (("bos_token", w.add_bos_token_id), ("eos_token", w.add_eos_token_id),
                     ("pad_token", w.add_pad_token_id)):
        tid = token_id(tc.get(key), vocab, added_by_content)
        if tid is not None:
            add(tid)
    w.add_add_bos_token(args.add_bos)
    w.add_add_eos_token(False)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.close()
    n_ctl = sum(t == TT.CONTROL for t in types)
    n_usr = sum(t == TT.USER_DEFINED for t in types)
    print(f"{args.outfile}: {n} tokens ({n_ctl} control, {n_usr} user-defined), {len(merges)} merges, "
          f"pre={args.pre}", file=sys.stderr)


if __name__ == "__main__":
    main()
