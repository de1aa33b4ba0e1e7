#!/usr/bin/env bash
# Configure and build the llama.cpp binaries the side-by-side benchmark needs (CPU only, Release), outside this
# repository, and the small token-id probe (probe_llamacpp.cpp) against the built libllama.
#
# Usage: bench/llamacpp/build_llamacpp.sh [LLAMACPP_SRC] [BUILD_DIR]
#   LLAMACPP_SRC  a llama.cpp source tree (default $LLAMACPP_SRC, else llamacpp-src beside the checkout); see README.md for how
#                 to obtain it at the pinned commit
#   BUILD_DIR     default $LLAMACPP_BUILD, else $LLAMACPP_SRC/build-cpu
#   JOBS          parallel jobs (default 2); everything runs under `nice -n 19`
# Writes BUILD_DIR/r1-bench-build.txt: the configure/build commands, the commit and the wall time.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
src="${1:-${LLAMACPP_SRC:-$(cd "$(dirname "$0")/../.." && pwd)/../llamacpp-src}}"
build="${2:-${LLAMACPP_BUILD:-$src/build-cpu}}"
jobs="${JOBS:-2}"
[[ -f "$src/CMakeLists.txt" && -d "$src/gguf-py" ]] || { echo "not a llama.cpp tree: $src" >&2; exit 1; }

configure=(cmake -S "$src" -B "$build" -G Ninja
  -DCMAKE_BUILD_TYPE=Release
  -DGGML_NATIVE=ON -DGGML_OPENMP=ON          # -march=native, OpenMP thread pool (as llama.cpp's default CPU build)
  -DGGML_CUDA=OFF -DGGML_VULKAN=OFF -DGGML_METAL=OFF -DGGML_BLAS=OFF
  -DLLAMA_OPENSSL=OFF                        # LLAMA_CURL is deprecated in this tree; no downloads needed
  -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=OFF
  -DLLAMA_BUILD_APP=OFF -DLLAMA_BUILD_UI=OFF -DLLAMA_BUILD_TOOLS=ON
  -DBUILD_SHARED_LIBS=ON)
targets=(llama-bench llama-quantize)

t0=$(date +%s)
nice -n 19 "${configure[@]}" > "$build.configure.log" 2>&1 || { tail -40 "$build.configure.log"; exit 1; }
nice -n 19 cmake --build "$build" --target "${targets[@]}" -j "$jobs"
t1=$(date +%s)

# The probe: feeds token ids to libllama and prints greedy continuations and last-position logits (our code,
# compiled here against the tree's public header; nothing of llama.cpp is copied).
nice -n 19 g++ -O2 -std=c++17 "$here/probe_llamacpp.cpp" -o "$build/bin/r1-probe-llamacpp" \
  -I"$src/include" -I"$src/ggml/include" -L"$build/bin" -lllama -lggml -lggml-base -Wl,-rpath,"$build/bin"
t2=$(date +%s)

commit="unknown"
[[ -f "$src/.r1-llamacpp-commit" ]] && commit="$(cat "$src/.r1-llamacpp-commit")"
{
  echo "llama.cpp commit: $commit"
  echo "source: $src"
  echo "configure: nice -n 19 ${configure[*]}"
  echo "build:     nice -n 19 cmake --build $build --target ${targets[*]} -j $jobs"
  echo "configure+build wall time: $((t1 - t0)) s (probe: $((t2 - t1)) s), $(nproc) CPUs, $(date -u +%FT%TZ)"
} | tee "$build/r1-bench-build.txt"
