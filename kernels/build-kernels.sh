#!/usr/bin/env bash
# Rebuilds the committed CUDA fatbin from kernels/src/main/cuda:
#   src/main/resources/io/tandem/kernels/tandem_kernels.fatbin          sm_90 SASS + compute_80 PTX
#   src/main/resources/io/tandem/kernels/tandem_kernels.fatbin.sources  SHA-256 of every input
# Run by hand (bash kernels/build-kernels.sh) or by Maven: mvn -Pcuda-kernels -pl kernels ...
# Needs nvcc 13.0: newer nvcc writes PTX that driver 580 (CUDA 13.0) rejects.
# Set TANDEM_NVCC_ANY_VERSION=1 to build with another nvcc anyway.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$HERE"
NVCC="${NVCC:-nvcc}"
SRC=src/main/cuda
RES=src/main/resources/io/tandem/kernels
BUILD=target/cuda-build

command -v "$NVCC" >/dev/null || { echo "build-kernels: $NVCC not found" >&2; exit 1; }
release="$("$NVCC" --version | grep -o 'release [0-9.]*' || true)"
if [ "$release" != "release 13.0" ] && [ "${TANDEM_NVCC_ANY_VERSION:-0}" != 1 ]; then
  echo "build-kernels: need nvcc 13.0, found '${release:-unknown}' (TANDEM_NVCC_ANY_VERSION=1 overrides)" >&2
  exit 1
fi

mkdir -p "$BUILD" "$RES"
# One translation unit (one module for cuModuleLoadData) that includes every .cu in name order.
mapfile -t sources < <(cd "$SRC" && LC_ALL=C ls -1 -- *.cu | LC_ALL=C sort)
: > "$BUILD/tandem_kernels.cu"
for f in "${sources[@]}"; do echo "#include \"$f\"" >> "$BUILD/tandem_kernels.cu"; done

# Uncompressed, so the PTX (and its .entry signatures) stays readable by the tests.
"$NVCC" -fatbin -O3 -std=c++17 --no-compress -frandom-seed=tandem -I "$SRC" \
  -gencode arch=compute_90,code=sm_90 \
  -gencode arch=compute_80,code=compute_80 \
  -o "$BUILD/tandem_kernels.fatbin" "$BUILD/tandem_kernels.cu"

cp "$BUILD/tandem_kernels.fatbin" "$RES/tandem_kernels.fatbin"
{
  echo "# Inputs of tandem_kernels.fatbin (checked by FatbinFreshnessTest); built with nvcc $release"
  LC_ALL=C sha256sum build-kernels.sh $(cd . && LC_ALL=C ls -1 "$SRC"/*.cu "$SRC"/*.cuh | LC_ALL=C sort)
} > "$RES/tandem_kernels.fatbin.sources"
echo "build-kernels: wrote $RES/tandem_kernels.fatbin ($(wc -c < "$RES/tandem_kernels.fatbin") bytes)"
