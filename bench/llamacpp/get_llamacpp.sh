#!/usr/bin/env bash
# Export one llama.cpp commit from a git repository into a plain source tree outside this repository.
#
# Usage: bench/llamacpp/get_llamacpp.sh GIT_DIR [COMMIT] [DEST]
#   GIT_DIR  any llama.cpp repository carrying upstream history: a clone of https://github.com/ggml-org/llama.cpp,
#            or a bare mirror (this project used github:unslothai/llama.cpp, mirrored to
#            the mirror that the search tool's fetch brings)
#   COMMIT   default 34af94cd9ab277632e27caeec2d41de2fd091b31 (upstream master, 2026-08-17)
#   DEST     default $LLAMACPP_SRC, else llamacpp-src beside the checkout
# models/, media/ and tools/server/public are left out (vocab test files, images and the web UI: not needed for a
# CPU build of llama-bench / llama-quantize, and some mirrors store them as absent large objects).
# DEST/.r1-llamacpp-commit records the commit for build_llamacpp.sh and the result tables.
set -euo pipefail
git_dir="${1:?usage: get_llamacpp.sh GIT_DIR [COMMIT] [DEST]}"
commit="${2:-34af94cd9ab277632e27caeec2d41de2fd091b31}"
dest="${3:-${LLAMACPP_SRC:-$(cd "$(dirname "$0")/../.." && pwd)/../llamacpp-src}}"
dest="$(realpath -m "$dest")"  # "REPO/../x" is beside the repository, not in it
case "$dest/" in "$(cd "$(dirname "$0")/../.." && pwd)/"*) echo "refusing to export into this repository" >&2; exit 1 ;; esac
if [[ -d "$git_dir/.git" ]]; then git_dir="$git_dir/.git"; fi
full="$(git --git-dir="$git_dir" rev-parse --verify "$commit^{commit}")"
mkdir -p "$dest"
git --git-dir="$git_dir" archive "$full" -- . ':(exclude)models' ':(exclude)media' ':(exclude)tools/server/public' \
  | tar -x -C "$dest"
echo "$full" > "$dest/.r1-llamacpp-commit"
echo "llama.cpp $full -> $dest ($(du -sh "$dest" | cut -f1))"
