#!/usr/bin/env python3
"""Markdown table from the raw files compare.sh leaves in OUT_DIR.

  llama-<type>-t<T>-r<round>.jsonl   llama-bench -o jsonl (one line per test, with samples_ts)
  r1-bf16-t<T>-r<round>.jsonl        r1 bench --json (one line per test, median tokens/s)
  *.time                             "peak_rss_kib user_s sys_s wall_s others_cpus major_faults" of that process
                                     (others_cpus: CPUs the rest of the machine kept busy meanwhile)

Tokens/s are medians: of each call's repetitions (r1 prints its median; for llama.cpp it is taken from
samples_ts), then the median over rounds. llama-bench's own table prints the mean instead.

Usage: report.py OUT_DIR MODEL_DIR
"""

import glob
import json
import os
import re
import statistics
import sys


def med(xs):
    return statistics.median(xs) if xs else None


def main():
    out, model = sys.argv[1], sys.argv[2]
    cfg = json.load(open(os.path.join(model, "config.json")))
    info = {}
    if os.path.exists(os.path.join(out, "r1-info.json")):
        try:
            info = json.load(open(os.path.join(out, "r1-info.json")))
        except ValueError:
            pass

    tps = {}  # (engine, type, threads, test) -> [per-round medians]
    bw = {}  # threads -> [read bandwidth GB/s, measured by r1 bench --bandwidth before each r1 run]
    wbytes = {}  # (type, test) -> r1's weight GB read per decode token
    rss = {}  # (engine, type, threads) -> KiB
    others = {}  # (engine, type, threads) -> max CPUs used by other processes during the runs
    majflt = {}  # (engine, type, threads) -> max major page faults of one run
    meta = {}
    for path in sorted(glob.glob(os.path.join(out, "r1bw-*.jsonl"))):  # the bandwidth runs (compare.sh run_r1)
        m = re.match(r"r1bw-([a-z0-9_]+)-t(\d+)-r(\d+)\.jsonl$", os.path.basename(path))
        for line in open(path) if m else []:
            if line.strip().startswith("{") and "read_gbs" in line:
                bw.setdefault(int(m.group(2)), []).append(json.loads(line)["read_gbs"])
    for path in sorted(glob.glob(os.path.join(out, "*.jsonl"))):
        m = re.match(r"(llama|r1)-([a-z0-9_]+)-t(\d+)-r(\d+)\.jsonl$", os.path.basename(path))
        if not m:
            continue
        eng, typ, thr = m.group(1), m.group(2), int(m.group(3))
        for line in open(path):
            line = line.strip()
            if not line.startswith("{"):
                continue
            j = json.loads(line)
            if eng == "llama":
                test = f"pp{j['n_prompt']}" if j["n_prompt"] else f"tg{j['n_gen']}"
                v = med(j["samples_ts"])
                meta.setdefault(typ, j)
            else:
                test, v = j["test"], j["tokens_per_second"]
                if "read_gbs" in j:
                    bw.setdefault(thr, []).append(j["read_gbs"])
                    continue
                if "weight_gb_per_token" in j:
                    wbytes[(typ, test)] = j["weight_gb_per_token"]
            tps.setdefault((eng, typ, thr, test), []).append(v)
        r = path[:-len(".jsonl")] + ".time"
        if os.path.exists(r):
            try:
                f = open(r).read().split()
                k = (eng, typ, thr)
                rss[k] = max(rss.get(k, 0), int(f[0]))
                others[k] = max(others.get(k, 0.0), float(f[4]))
                if len(f) > 5:
                    majflt[k] = max(majflt.get(k, 0), int(f[5]))
            except (ValueError, IndexError):
                pass

    q = cfg.get("q_lora_rank")
    if "kv_lora_rank" not in cfg:  # the R1-Distill families (GQA)
        shape = (f"{cfg['num_hidden_layers']} layers, hidden {cfg['hidden_size']}, {cfg['num_attention_heads']} heads, "
                 f"{cfg.get('num_key_value_heads')} KV heads, ff {cfg['intermediate_size']}, vocab {cfg['vocab_size']}")
    else:
      shape = (f"{cfg['num_hidden_layers']} layers, hidden {cfg['hidden_size']}, {cfg['num_attention_heads']} heads, "
             f"q_lora {q if q else 'none'}, kv_lora {cfg['kv_lora_rank']}, qk {cfg['qk_nope_head_dim']}+"
             f"{cfg['qk_rope_head_dim']}, v {cfg['v_head_dim']}, {cfg.get('n_routed_experts')} experts "
             f"({cfg.get('num_experts_per_tok')} active + {cfg.get('n_shared_experts')} shared, "
             f"{cfg.get('scoring_func')}/{cfg.get('topk_method')}), ff {cfg['intermediate_size']}/"
             f"{cfg.get('moe_intermediate_size')}, {cfg.get('first_k_dense_replace', 0)} dense, vocab {cfg['vocab_size']}")
    print(f"### {os.path.basename(model.rstrip('/'))} ({(cfg.get('architectures') or ['?'])[0]})\n")
    print(f"- shape: {shape}")
    if info:
        print(f"- parameters: {info['params_total'] / 1e9:.2f} B total, {info['params_active'] / 1e9:.2f} B active "
              f"per token; checkpoint {info['checkpoint_bytes'] / 2**30:.2f} GiB")
    any_meta = next(iter(meta.values()), None)
    commit = any_meta.get("build_commit") if any_meta else None
    bt = os.path.join(out, "llamacpp-build.txt")
    if os.path.exists(bt):
        for line in open(bt):
            if line.startswith("llama.cpp commit:"):
                commit = line.split(":", 1)[1].strip()[:10]
    rv = os.path.join(out, "r1-version.txt")
    if os.path.exists(rv):
        print(f"- {open(rv).read().strip()}")
    if any_meta:
        fa = {-1: "auto", 0: "off", 1: "on"}.get(any_meta.get("flash_attn"), any_meta.get("flash_attn"))
        print(f"- llama.cpp {commit} ({any_meta.get('backends')}, llama-bench defaults: n_batch {any_meta.get('n_batch')}, "
              f"n_ubatch {any_meta.get('n_ubatch')}, flash_attn {fa}, KV cache {any_meta.get('type_k')}); "
              f"CPU: {any_meta.get('cpu_info')}, {os.cpu_count()} CPUs")
    for typ, j in meta.items():
        print(f"- llama.cpp {typ} GGUF: {j.get('model_type')}, {j['model_size'] / 2**30:.2f} GiB, "
              f"{j['model_n_params'] / 1e9:.2f} B params")
    print("- tokens/s: median of repetitions (then of rounds); peak RSS: whole process (pp and tg tests), "
          "mapped weights included; others: CPUs other processes kept busy during the run (max over rounds); "
          "major faults: pages read from disk during the run (max over rounds; high = page cache too small)\n")

    if bw:
        print("- read bandwidth (r1 bench --bandwidth, 1 GiB, median over runs): " +
              ", ".join(f"{t} thread(s) {med(v):.1f} GB/s" for t, v in sorted(bw.items())))
        print("- % of bound (decode rows): weight bytes read per token x tokens/s / read bandwidth; r1's bytes from "
              "r1 bench, llama.cpp's scaled from the bf16 bytes by its GGUF's size\n")

    def pct_bound(eng, typ, thr, test, v):
        if v is None or not test.startswith("tg") or thr not in bw:
            return "-"
        gb = wbytes.get((typ, test))
        if eng == "llama":
            b16 = wbytes.get(("bf16", test))
            if b16 is None or typ not in meta or "bf16" not in meta:
                return "-"
            gb = b16 * meta[typ]["model_size"] / meta["bf16"]["model_size"]
        return f"{100 * gb * v / med(bw[thr]):.0f} %" if gb else "-"

    print("| test | threads | weights | llama.cpp t/s | r1 t/s | r1 / llama.cpp | % of bound (llama.cpp / r1) "
          "| llama.cpp peak RSS | r1 peak RSS | others (llama.cpp / r1) | major faults (llama.cpp / r1) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    types = sorted({k[1] for k in tps if k[0] == "llama"} | {k[1] for k in tps if k[0] == "r1"},
                   key=lambda t: ["bf16", "f16", "f32", "q8_0", "q4_k_m"].index(t)
                   if t in ["bf16", "f16", "f32", "q8_0", "q4_k_m"] else 99)
    tests = sorted({k[3] for k in tps}, key=lambda t: (t[:2] != "pp", t))
    threads = sorted({k[2] for k in tps})

    def fmt_cpu(k):
        return f"{others[k]:.2f}" if k in others else "-"

    def fmt_rss(k):
        return f"{rss[k] / 1024:.0f} MiB" if k in rss else "n/a"

    for test in tests:
        for thr in threads:
            for typ in types:
                lv = med(tps.get(("llama", typ, thr, test), []))
                rv = med(tps.get(("r1", typ, thr, test), []))
                if lv is None and rv is None:
                    continue
                ratio = f"{rv / lv:.2f}" if lv and rv else "n/a"
                print(f"| {test} | {thr} | {typ} | {lv:.2f} |" if lv is not None else f"| {test} | {thr} | {typ} | n/a |",
                      f"{rv:.2f} |" if rv is not None else "n/a |", f"{ratio} |",
                      f"{pct_bound('llama', typ, thr, test, lv)} / {pct_bound('r1', typ, thr, test, rv)} |",
                      f"{fmt_rss(('llama', typ, thr))} |", f"{fmt_rss(('r1', typ, thr))} |",
                      f"{fmt_cpu(('llama', typ, thr))} / {fmt_cpu(('r1', typ, thr))} |",
                      f"{majflt.get(('llama', typ, thr), '-')} / {majflt.get(('r1', typ, thr), '-')} |")


if __name__ == "__main__":
    main()
