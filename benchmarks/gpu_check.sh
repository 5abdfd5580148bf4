#!/usr/bin/env bash
# GPU checks of issue #17 (prepared, not yet run: no GPU was lent when it was written).
#
#   benchmarks/gpu_check.sh [WHEELS_DIR]      # default: $GHOSTSWAP_GPU_WHEELS, else ../shared/wheels/gpu
#
# The GPU machine has no network, so every wheel comes from WHEELS_DIR (filled beforehand on a
# machine with network, for the GPU machine's Python 3.11 / linux x86_64):
#   pip download -d WHEELS_DIR --python-version 3.11 --only-binary=:all: \
#       --index-url https://download.pytorch.org/whl/cu124 torch==2.13.0
#   pip download -d WHEELS_DIR --python-version 3.11 --only-binary=:all: onnxruntime-gpu -e .
#   pip download -d WHEELS_DIR --no-deps -r scripts/offline-packs.txt
# It makes .venv-gpu (never touches .venv), runs the CUDA tests and the GPU rows of
# benchmarks/pipeline.py and benchmarks/generator.py, and leaves logs and JSON in $OUT (or
# ./gpu-check). Each step has its own timeout; the whole run is sized to finish under 8 minutes
# (install ~2, tests ~2, benchmarks ~3). Exit status: the first failing step's.
set -uo pipefail
cd "$(dirname "$0")/.."
WHEELS=${1:-${GHOSTSWAP_GPU_WHEELS:-../shared/wheels/gpu}}
RESULTS=${OUT:-gpu-check}
mkdir -p "$RESULTS"
status=0
step() {  # step NAME SECONDS CMD...: run with a timeout, log to $RESULTS/NAME.log, keep the first failure
    local name=$1 limit=$2
    shift 2
    echo "== $name (limit ${limit}s)"
    timeout "$limit" "$@" >"$RESULTS/$name.log" 2>&1
    local rc=$?
    tail -n 25 "$RESULTS/$name.log"
    echo "== $name: rc=$rc"
    [ "$status" -eq 0 ] && [ "$rc" -ne 0 ] && status=$rc
    return 0
}

if [ ! -d "$WHEELS" ]; then
    echo "no wheel folder $WHEELS: see the header of $0 for what to put there" >&2
    exit 2
fi
PY=$(command -v python3.11 || command -v python3)
[ -x .venv-gpu/bin/python ] || "$PY" -m venv .venv-gpu
step install 180 .venv-gpu/bin/pip install -q --no-index --find-links "$WHEELS" onnxruntime-gpu torch -e .
step offline-packs 60 .venv-gpu/bin/pip install -q --no-index --find-links "$WHEELS" --no-deps \
    -r scripts/offline-packs.txt
step devices 30 .venv-gpu/bin/python -c "
import onnxruntime as ort, torch
print('torch', torch.__version__, 'cuda', torch.cuda.is_available(),
      torch.cuda.get_device_name(0) if torch.cuda.is_available() else '')
print('onnxruntime', ort.__version__, ort.get_available_providers())
assert torch.cuda.is_available(), 'torch sees no GPU'
assert 'CUDAExecutionProvider' in ort.get_available_providers(), 'onnxruntime-gpu has no CUDA provider'
"
export PYTHONPATH=$PWD
# CUDA tests: device choices, bf16 on CUDA vs fp32 on the CPU (PSNR >= 40 dB), read-ahead and encode-pool
# bit-exactness, the torch face warps on CUDA against OpenCV (crop, paste-back, a render: chunk-invariant,
# plate bits outside the matte), the device colour conversion / crop / blend against OCIO and the CPU path.
step tests 180 .venv-gpu/bin/python -m pytest -q -ra tests/test_runtime.py tests/swappers/test_ghost_precision.py \
    tests/engine/test_read_ahead.py tests/engine/test_write_pool.py tests/engine/test_torch_warp.py \
    tests/engine/test_torch_colour.py
# GPU rows (fp16 onnxruntime/torch, bf16 torch at batch 1/8/32; end-to-end CUDA renders with the
# per-face steps on the device) next to the CPU rows of the same run.
step pipeline 200 .venv-gpu/bin/python benchmarks/pipeline.py --frames 4 --skip-memory \
    --json "$RESULTS/pipeline.json"
step generator 90 .venv-gpu/bin/python benchmarks/generator.py --repeats 2 --json "$RESULTS/generator.json"
echo "gpu_check: rc=$status, logs in $RESULTS"
exit "$status"
