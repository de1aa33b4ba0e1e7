#!/usr/bin/env bash
# Regenerates tests/golden/<variant>_<prompt>.json with the PyTorch reference.
#
# Usage: tools/reference/make_golden.sh [path/to/r1]     (default: build/r1; env PYTHON overrides
#        the interpreter, default /usr/bin/python3)
#
# For every variant, `r1 init` writes a tiny random checkpoint into a temp dir named after the
# variant (so the JSON "model" field is the variant name); deepseek_ref.py then runs the
# `short` (17 ids) and `long` (120 ids) formula prompts and 16 greedy tokens on it.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
if [[ $# -ge 1 ]]; then
  R1="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"   # relative to the caller's directory
else
  R1="$root/build/r1"
fi
PY="${PYTHON:-/usr/bin/python3}"
[[ -x "$R1" ]] || { echo "make_golden: r1 binary not found at $R1 (build it or pass its path)" >&2; exit 1; }

out="$root/tests/golden"
mkdir -p "$out"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# variant | r1 init flags
variants=(
  "v2-lite|--config tiny-v2-lite --seed 1"
  "v2|--config tiny-v2 --seed 2"
  "v3|--config tiny-v3 --seed 3"
  "v3-fp8|--config tiny-v3 --seed 4 --fp8 --shards 2"
  "qwen2|--config tiny-qwen2 --seed 5"
  "llama|--config tiny-llama --seed 6"
)

only="${ONLY:-}"   # e.g. ONLY=qwen2 regenerates one variant
for entry in "${variants[@]}"; do
  [[ -z "$only" || "${entry%%|*}" == "$only" ]] || continue
  name="${entry%%|*}"
  read -r -a flags <<< "${entry#*|}"
  echo "== $name: r1 init ${flags[*]}"
  # r1 init --config NAME --out DIR --seed SEED [--fp8] [--shards 2]
  "$R1" init "${flags[@]:0:2}" --out "$tmp/$name" "${flags[@]:2}"
  for prompt in short long; do
    "$PY" "$here/deepseek_ref.py" --model "$tmp/$name" --prompt "$prompt" --greedy 16 \
      --attn naive --dtype float32 --out "$out/${name}_${prompt}.json"
    echo "   wrote tests/golden/${name}_${prompt}.json"
  done
done
