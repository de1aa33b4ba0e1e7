#!/usr/bin/env bash
# Regenerates tests/golden/train_tiny.json and train_tiny_seqaux.json with the PyTorch training reference
# (train_ref.py, float64).
#
# Usage: tools/reference/make_train_golden.sh [path/to/r1]   (default build/r1; env PYTHON overrides the
#        interpreter, default /usr/bin/python3)
#
# `r1 init --config train-tiny --dtype f32 --seed 7` writes the checkpoint (train-tiny's own vocab, 265);
# train_ref.py then writes, for the formula batch B=4, S=32 (two targets are ignore_index -100): the loss
# parts at step 0, each trainable tensor's gradient norm, max-abs and 16 sampled values, and the losses of
# 10 AdamW steps on the same batch (lr 1e-3 -> 1e-4, warmup 2, clip 1, decay 0.1, betas 0.9/0.95,
# mtp_weight 0.3, bias gamma 1e-3). train_tiny_seqaux.json is the same with DeepSeek-V3's sequence-wise balance
# loss, alpha 0.1 (large, so that its gradient dominates the routers' and a wrong one shows).
# tests/numerics/train_golden_test.cpp checks r1 against both.
# It also runs the float32 reference and prints its differences from float64, for comparison.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
if [[ $# -ge 1 ]]; then
  R1="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
else
  R1="$root/build/r1"
fi
PY="${PYTHON:-/usr/bin/python3}"
[[ -x "$R1" ]] || { echo "make_train_golden: r1 binary not found at $R1 (build it or pass its path)" >&2; exit 1; }

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
model="$tmp/train-tiny"
"$R1" init --config train-tiny --out "$model" --seed 7 --dtype f32 >/dev/null
for case in "train_tiny" "train_tiny_seqaux --seq-aux-alpha 0.1"; do
  read -r name opts <<<"$case"
  # shellcheck disable=SC2086
  "$PY" "$here/train_ref.py" golden --model "$model" --dtype float64 --out "$root/tests/golden/$name.json" $opts
  # shellcheck disable=SC2086
  "$PY" "$here/train_ref.py" golden --model "$model" --dtype float32 --out "$tmp/${name}_f32.json" $opts
  echo "$name: float32 reference vs float64 (max relative error per tensor class; values / max-abs, norms / norm):"
  "$PY" "$here/train_ref.py" compare "$tmp/${name}_f32.json" "$root/tests/golden/$name.json"
  ls -l "$root/tests/golden/$name.json"
done
