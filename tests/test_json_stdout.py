"""`--json` keeps stdout to the one JSON document, whatever a library prints while the command runs.

A farm script parses the driver's stdout; Ray's driver thread prints its cluster's error messages
there ("(raylet) A worker died ..."), which once put text before the summary and broke the parse.
"""

from __future__ import annotations

import argparse
import json
import threading
from typing import Any

import pytest

from ghost_core import cli
from ghost_core.cli import knobs as knobs_cli

NOISE = "(raylet) A worker died or was killed while executing a task"


@pytest.fixture
def noisy_knobs(monkeypatch: pytest.MonkeyPatch) -> None:
    real = knobs_cli._knobs

    def noisy(args: argparse.Namespace) -> dict[str, Any]:
        print(NOISE, flush=True)  # on the command's own thread, and on another, as Ray's listener does
        other = threading.Thread(target=print, args=(NOISE + " (thread)",))
        other.start()
        other.join()
        return real(args)

    monkeypatch.setattr(knobs_cli, "_knobs", noisy)


def test_with_json_stdout_is_only_the_summary(noisy_knobs: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--json", "knobs"]) == 0
    out, err = capsys.readouterr()
    doc = json.loads(out)
    assert doc["ok"] is True and doc["command"] == "knobs" and doc["knobs"]
    assert NOISE in err and NOISE + " (thread)" in err


def test_without_json_text_stays_on_stdout(noisy_knobs: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["knobs"]) == 0
    out, _ = capsys.readouterr()
    assert out.startswith(NOISE) and "matte.keep_expression" in out
