#!/usr/bin/env bash
# MTP self-speculative decoding on a model with a trained MTP module, measured side by side with plain decoding:
# builds the arithmetic corpus, trains `train-deep` (16 dense MLA layers, 16.3 M parameters, 65 MB of f32
# weights: decode is bound by memory bandwidth) with the MTP loss, then runs `r1 bench --spec mtp` (greedy, 128
# tokens from a held-out-style prompt, plain and speculative in one run) at 1 and 2 threads.
#
# Usage: bench/mtp/spec_speedup.sh OUT_DIR      (training: about 25 minutes on one core of this machine)
# Environment: R1 [build/r1], STEPS [600], REPS [5], THREADS ["1 2"]
set -euo pipefail
out="${1:?usage: bench/mtp/spec_speedup.sh OUT_DIR}"
here="$(cd "$(dirname "$0")/../.." && pwd)"
r1="${R1:-$here/build/r1}"
steps="${STEPS:-600}"
reps="${REPS:-5}"
mkdir -p "$out"
if [[ ! -f $out/data/train.tok ]]; then
  "$r1" corpus --task arithmetic --task-options ops=+-,min_operand=10,max_operand=99,compact=1 --problems 100000 \
    --seed 11 --out "$out/data"
fi
if [[ ! -f $out/deep/model.safetensors ]]; then
  "$r1" train --config train-deep --data "$out/data/train.tok" --out "$out/deep" --steps "$steps" --batch 16 \
    --seq 128 --lr 1e-3 --seed 3 -t 1
fi
for t in ${THREADS:-1 2}; do
  "$r1" bench --model "$out/deep" -p 0 -n 128 -r "$reps" -t "$t" --spec mtp --prompt "<｜User｜>34+58<｜Assistant｜>"
done
