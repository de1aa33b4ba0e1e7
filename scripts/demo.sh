#!/usr/bin/env bash
# The main job on the embedded default model: set up, build, and let r1-zero-arith — a tiny DeepSeek-architecture
# model (MLA, DeepSeekMoE, MTP) that learned to reason from rule-based rewards alone (GRPO, the R1-Zero recipe;
# made by `r1 zero`, see models/r1-zero-arith/README.md) — solve held-out problems: it streams its visible
# reasoning and its answer, which the task's verifier checks.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh release
model=models/r1-zero-arith
build/r1 info --model "$model"
echo
build/r1 solve --model "$model" --count 4 --seed "${SEED:-0}"
echo
echo "Ask it yourself:  build/r1 solve --model $model --problem 47+38"
echo "Measure it:       build/r1 eval --model $model --problems 1000 --samples 8"
