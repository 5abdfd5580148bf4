"""Nuke adapter tests: the fake `nuke` module is installed before `ghostswap_nuke` is imported."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.hosts.nuke import fake_nuke

PLUGIN = Path(__file__).resolve().parents[3] / "plugins" / "nuke"
if str(PLUGIN) not in sys.path:
    sys.path.insert(0, str(PLUGIN))
sys.modules["nuke"] = fake_nuke  # explicit fake: only Nuke's API is faked, never GhostSwap


@pytest.fixture
def nuke() -> object:
    fake_nuke.reset()
    return fake_nuke
