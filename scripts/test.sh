#!/usr/bin/env bash
# Set up, build and run the test suite (unit, numerics, e2e). Usage: scripts/test.sh [preset] [ctest args...]
# preset: release (default) or asan (AddressSanitizer + UndefinedBehaviorSanitizer).
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-release}"
shift || true
scripts/setup.sh
scripts/build.sh "$preset"
ctest --preset "$preset" -j "$(nproc)" "$@"
