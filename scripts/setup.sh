#!/usr/bin/env bash
# Installs every Debian package r1.cpp needs to build and test. Idempotent; run as root (or with sudo).
# Usage: scripts/setup.sh [--reference]   (--reference also installs python3-torch for tools/reference/)
set -euo pipefail

pkgs=(cmake ninja-build g++ pkg-config libomp-dev nlohmann-json3-dev libcli11-dev libpcre2-dev
      libopenblas-dev libgtest-dev libgmock-dev libbenchmark-dev)
if [[ "${1:-}" == "--reference" ]]; then
  pkgs+=(python3-torch python3-numpy)
fi

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""
  [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "setup: all packages present"
fi
