#!/usr/bin/env bash
# Builds and runs the host emulation of the CUDA kernels (no GPU needed; g++ 11+ for C++20).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="${TMPDIR:-/tmp}/tandem-emulate"
g++ -std=c++20 -O1 -pthread -Wno-unused-function -o "$OUT" "$HERE/emulate.cpp"
"$OUT"
