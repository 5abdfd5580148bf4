"""Shared fixtures: paths to ../shared, and parsing of the official checkpoint key list."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
KEY_LIST = SHARED / "docs" / "ghost_state_dict_keys.txt"


def _parse_key_list() -> dict[str, dict[str, tuple[int, ...]]]:
    sections: dict[str, dict[str, tuple[int, ...]]] = {}
    current = None
    for line in KEY_LIST.read_text().splitlines():
        if m := re.match(r"^## (\S+)\s+=", line):
            current = sections.setdefault(m[1], {})
        elif current is not None and line and not line.startswith("#"):
            key, shape = line.split("\t")
            current[key] = tuple(int(s) for s in re.findall(r"\d+", shape))
    return sections


@pytest.fixture(scope="session")
def official_layouts() -> dict[str, dict[str, tuple[int, ...]]]:
    if not KEY_LIST.is_file():
        pytest.fail(f"{KEY_LIST} is missing: CI needs ../shared beside the checkout")
    return _parse_key_list()


# Test shots (EXR plates made from ../shared/assets) for engine, job, host and farm tests.
from tests.shots import dance_plate, short_plate  # noqa: E402, F401  (fixtures)
from tests.weights_home import random_ghost_home  # noqa: E402, F401  (fixture)


@pytest.fixture(autouse=True)
def _fresh_ghostswap_logger():
    """Each test starts with the `ghostswap` logger as a fresh process has it.

    `main(["-q", ...])` (in a test or a module fixture) quiets the logger for the whole process;
    without this reset, a later test that asserts a warning would see nothing.
    """
    import logging

    from ghost_core import console

    logger = logging.getLogger("ghostswap")
    logger.setLevel(logging.NOTSET)
    logger.handlers.clear()
    logger.propagate = True
    console._state["quiet"] = False
    yield
