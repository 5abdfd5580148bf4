#!/usr/bin/env bash
# Tools the Resolve/Fusion adapter tests need: luajit (parses the .fuse files exactly as Fusion's
# LuaJIT would) and busted (runs the Lua specs against a fake Fuse runtime). Idempotent: apt runs
# only when a tool is missing, so a warm CI box pays nothing.
set -euo pipefail
missing=()
command -v luajit >/dev/null 2>&1 || missing+=(luajit)
command -v busted >/dev/null 2>&1 || missing+=(lua-busted)
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
command -v luajit >/dev/null && command -v busted >/dev/null
