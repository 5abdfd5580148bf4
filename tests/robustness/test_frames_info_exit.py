"""`ghostswap frames info` fails with InputError's code when a frame cannot be read, and still
prints the report for the frames it could read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ghost_core.errors import InputError
from tests.robustness.conftest import run_main, write_sequence


def test_one_damaged_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.exr"
    bad.write_bytes(b"this is not an EXR\n")
    code, out, err = run_main(["frames", "info", str(bad)], capsys)
    assert code == InputError.exit_code
    assert str(bad) in out  # the report still says what is wrong with it
    errors = [line for line in err.splitlines() if line.startswith("ghostswap: ERROR")]
    assert len(errors) == 1 and str(bad) in errors[0], err


@pytest.mark.parametrize("headers_only", [False, True], ids=["scan", "headers-only"])
def test_sequence_with_a_damaged_frame(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], headers_only: bool
) -> None:
    pattern = write_sequence(tmp_path / "plate", frames=(1001, 1002, 1003))
    damaged = tmp_path / "plate" / "plate.1002.exr"
    damaged.write_bytes(damaged.read_bytes()[:300])  # cut short inside the header
    argv = ["frames", "info", pattern, *(["--headers-only"] if headers_only else [])]
    code, out, err = run_main(argv, capsys)
    assert code == InputError.exit_code
    assert "resolution:   32x48" in out, "the readable frames are still reported"
    assert "unreadable 1002" in out
    assert str(damaged) in err

    code, out, _ = run_main(["--json", *argv], capsys)
    report = json.loads(out)
    assert code == InputError.exit_code and report["ok"] is False
    assert report["frame_count"] == 3 and list(report["unreadable"]) == ["1002"]
    assert report["resolution"] == [32, 48]


def test_a_clean_sequence_still_exits_zero(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pattern = write_sequence(tmp_path / "plate", frames=(1001, 1002))
    code, out, err = run_main(["frames", "info", pattern], capsys)
    assert code == 0, err
    assert "unreadable" not in out
