#!/usr/bin/env bash
# GPU node check, run from a bundle made by deploy/gpu-bundle.sh (it is copied to
# gpu-bundle/gpu-check.sh):
#
#   ./gpu-check.sh [--device N] [--size N]
#
# 1. the CUDA backend against the CPU backend on every op (1e-4 relative; TF32 GEMM 1e-2),
# 2. GEMM TFLOP/s at size^3 (default 4096) for the FP32 and TF32 kernels,
# 3. torch.matmul with TF32 off and on, for comparison, when python3 can import torch.
# Exit code: that of step 1 (0 = every op agrees). Outside a bundle it uses ../gpu-bundle or
# the repository's ./tandem launcher. CUDA_FORCE_PTX_JIT=1 ./gpu-check.sh --size 0 checks the
# compute_80 PTX path (driver JIT) instead of the sm_90 SASS.
set -uo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [ -x "$HERE/bin/tandem" ]; then
  TANDEM="$HERE/bin/tandem"
elif [ -x "$HERE/../gpu-bundle/bin/tandem" ]; then
  TANDEM="$HERE/../gpu-bundle/bin/tandem"
else
  TANDEM="$HERE/../tandem"
fi

SIZE=4096
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[$i]}" in
    --size) SIZE="${args[$((i + 1))]:-4096}" ;;
    --size=*) SIZE="${args[$i]#--size=}" ;;
  esac
done

echo "== tandem gpu-check $(date -u +%Y-%m-%dT%H:%MZ) on $(hostname)"
if command -v nvidia-smi >/dev/null; then
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
else
  echo "nvidia-smi: not found"
fi
[ -f "$HERE/BUNDLE.txt" ] && sed -n 's/^commit: */bundle commit: /p' "$HERE/BUNDLE.txt"
echo

"$TANDEM" bench gpu-check "$@"
rc=$?

if [ "$SIZE" != 0 ]; then
  echo
  if python3 -c 'import torch' >/dev/null 2>&1; then
    python3 - "$SIZE" <<'PY'
import sys, time
import torch
n = int(sys.argv[1])
if not torch.cuda.is_available():
    print("torch: installed, but torch.cuda.is_available() is False; no cuBLAS comparison")
    sys.exit(0)
print(f"{'GEMM %d^3 (torch %s)' % (n, torch.__version__):28s}  {'ms':>9s}  {'TFLOP/s':>8s}")
a = torch.rand(n, n, device="cuda") * 2 - 1
b = torch.rand(n, n, device="cuda") * 2 - 1
for tf32 in (False, True):
    torch.backends.cuda.matmul.allow_tf32 = tf32
    for _ in range(3):
        torch.matmul(a, b)
    torch.cuda.synchronize()
    reps = 20
    t0 = time.perf_counter()
    for _ in range(reps):
        torch.matmul(a, b)
    torch.cuda.synchronize()
    ms = (time.perf_counter() - t0) / reps * 1e3
    label = "torch.matmul tf32 " + ("on" if tf32 else "off")
    print(f"{label:28s}  {ms:9.3f}  {2 * n ** 3 / ms / 1e9:8.2f}")
PY
  else
    echo "torch: python3 cannot import torch; no cuBLAS comparison"
  fi
fi
exit $rc
