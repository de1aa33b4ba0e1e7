#!/usr/bin/env bash
# The main job on the embedded default model: set up, build, create a tiny DeepSeek-V3-like checkpoint in the
# Hugging Face layout, describe it, and generate from it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh release
model=models/tiny-v3
[[ -f $model/config.json ]] || build/r1 init --config tiny-v3 --out "$model" --seed 3
build/r1 info --model "$model"
echo "greedy continuation of the token ids 0,17,5:"
build/r1 generate --model "$model" --tokens 0,17,5 --max-tokens 16 --ignore-eos
echo "a chat turn through the chat template (random weights: expect gibberish until a trained model ships):"
build/r1 generate --model "$model" --chat --prompt "What is 2+2?" --max-tokens 24 --ignore-eos --json
