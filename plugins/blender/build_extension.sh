#!/usr/bin/env bash
# Build the installable extension zip (ghostswap-<version>.zip) from plugins/blender/ghostswap_blender.
# Uses Blender's own builder: `blender --command extension build` when blender is on PATH, else the same
# builder script that ships inside the bpy wheel of .venv-blender (scripts/setup-blender.sh).
# First checks that the vendored ghostswap_hostkit.py and knobs.json are current (scripts/vendor_hostkit.py).
# Usage: plugins/blender/build_extension.sh [OUTPUT_DIR]   (default: plugins/blender/dist)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
src="$here/ghostswap_blender"
out="${1:-$here/dist}"
mkdir -p "$out"
# The vendored host kit and knob table must match their sources (plugins/hostkit, ghost_core/knobs.py).
python="${GHOSTSWAP_PYTHON:-$repo/.venv/bin/python}"
[ -x "$python" ] || python="$(command -v python3)"
if ! PYTHONPATH="$repo${PYTHONPATH:+:$PYTHONPATH}" "$python" "$repo/scripts/vendor_hostkit.py" --check >&2; then
  echo "build_extension: vendored files are stale; run: python scripts/vendor_hostkit.py" >&2
  exit 1
fi
if command -v blender >/dev/null 2>&1 && blender --command extension build --help >/dev/null 2>&1; then
  exec blender --command extension build --source-dir "$src" --output-dir "$out"
fi
venv="${GHOSTSWAP_BLENDER_VENV:-$repo/.venv-blender}"
builder=$(ls "$venv"/lib/python3.*/site-packages/bpy/*/scripts/addons_core/bl_pkg/cli/blender_ext.py 2>/dev/null | head -1)
if [ -z "$builder" ]; then
  echo "build_extension: no blender on PATH and no bpy venv at $venv; run scripts/setup-blender.sh" >&2
  exit 1
fi
"$venv/bin/python" "$builder" validate "$src"
exec "$venv/bin/python" "$builder" build --source-dir "$src" --output-dir "$out"
