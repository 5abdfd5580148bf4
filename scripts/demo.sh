#!/usr/bin/env bash
# The main job on a fresh machine: set up .venv and show what this machine can run.
# (It becomes the built-in demo render once the render path lands.)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
.venv/bin/ghostswap doctor
.venv/bin/ghostswap models list
