#!/usr/bin/env bash
# The whole test suite on a fresh machine: set up .venv, lint, then every test.
# pytest exits 5 when it collects nothing; `set -e` turns that into a failure too.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
.venv/bin/ruff check .
.venv/bin/python -m pytest "$@"
