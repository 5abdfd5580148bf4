#!/usr/bin/env bash
# Create or refresh .venv-blender: the bpy wheel (Blender as a Python module) for the Blender host tests.
# bpy is cp311-only up to 5.0.1 and pins numpy<2, so it cannot share the main venv; openimageio 3.0.21.0 is
# the newest OIIO wheel that works next to numpy 1.x (see ../shared/docs/HOSTS.md §1).
# Idempotent: a stamp of this script's content skips the work when nothing changed. The ~374 MB wheel stays
# in pip's download cache (PIP_CACHE_DIR or ~/.cache/pip), so a rebuilt venv does not download it again.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null 2>&1 || { echo "setup-blender: $PY not found (bpy 5.0.1 needs CPython 3.11)" >&2; exit 1; }
VENV=${GHOSTSWAP_BLENDER_VENV:-.venv-blender}
BPY=${GHOSTSWAP_BPY_VERSION:-5.0.1}   # 4.5.15 gives the Blender 4.x API (use another GHOSTSWAP_BLENDER_VENV)
stamp="$VENV/.ghostswap-blender-setup"
want=$( (cat scripts/setup-blender.sh; echo "$BPY") | sha256sum | cut -c1-16)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && "$VENV/bin/python" -c "import bpy" 2>/dev/null; then
  exit 0
fi
[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --upgrade pip
"$VENV/bin/python" -m pip install -q "bpy==$BPY" "numpy<2" "openimageio==3.0.21.0" pytest
"$VENV/bin/python" -c "import bpy, numpy, OpenImageIO; print('bpy', bpy.app.version_string, 'numpy', numpy.__version__)"
echo "$want" > "$stamp"
