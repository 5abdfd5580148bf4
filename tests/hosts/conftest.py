"""Fixtures shared by the host adapter tests: a `ghostswap` executable that runs this checkout."""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

# The command hosts run is this checkout's CLI, whether or not `pip install -e .` put a
# `ghostswap` on PATH. When $GHOSTSWAP_TEST_ARGV_LOG is set, every call appends its argv (JSON)
# there, so a test can assert the exact command line a host built without patching the host.
_WRAPPER = """#!/bin/sh
exec "{python}" -c '
import json, os, sys
sys.path.insert(0, {repo})
log = os.environ.get("GHOSTSWAP_TEST_ARGV_LOG")
if log:
    with open(log, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(sys.argv[1:], ensure_ascii=False) + "\\n")
from ghost_core.cli import main
sys.exit(main())
' "$@"
"""


@pytest.fixture(scope="session")
def ghostswap_exe(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("bin") / "ghostswap"
    path.write_text(_WRAPPER.format(python=sys.executable, repo=json.dumps(str(REPO))))
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return str(path)


def argv_log(path: Path) -> list[list[str]]:
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No inherited GhostSwap/OCIO settings: the node's knobs alone decide."""
    for name in ("GHOSTSWAP_EXE", "GHOSTSWAP_CACHE", "OCIO", "GHOSTSWAP_TEST_ARGV_LOG"):
        monkeypatch.delenv(name, raising=False)
    os.environ.pop("GHOSTSWAP_FARM_MANAGER", None)
