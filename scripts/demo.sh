#!/usr/bin/env bash
# The main job on a fresh machine: set up .venv, then render the built-in demo shot (no downloads).
# Outputs land in ./ghostswap-demo (plate, swapped EXRs with the ghost.matte layer, contact sheet).
set -euo pipefail
cd "$(dirname "$0")/.."
GHOSTSWAP_NO_HOST_TOOLS=1 scripts/setup.sh
.venv/bin/ghostswap doctor
.venv/bin/ghostswap demo --out "${1:-ghostswap-demo}"
