#!/usr/bin/env bash
# Debian's Chromium for the review-page tests (tests/review): a real headless browser loads the
# flipbook from disk and is driven over its DevTools pipe. Idempotent: apt runs only when missing.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-driver
command -v chromium >/dev/null
