"""Luminance-only (Y) and luminance/chroma (Y, RY, BY) plates are refused once, up front.

OpenImageIO hands such files back as their raw Y/RY/BY channels (it does not convert them to
RGB), and GhostSwap writes every plate back in its own layout; a face swapped in RGB cannot be
put back into Y/RY/BY without a lossy conversion, so the whole sequence is refused with one
message that says how to convert it, before any model is loaded or any frame is written.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from ghost_core.errors import InputError
from tests.robustness.conftest import PHOTO, run_main, write_exr, write_job

LAYOUTS = {
    "Y": (["Y"], [0.5]),
    "Y-RY-BY": (["Y", "RY", "BY"], [0.5, 0.1, -0.1]),
    "Y-RY-BY-A": (["Y", "RY", "BY", "A"], [0.5, 0.1, -0.1, 1.0]),
}
FRAMES = (1001, 1002, 1003)


@pytest.fixture(params=list(LAYOUTS))
def plate(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, list[str]]:
    names, values = LAYOUTS[request.param]
    folder = tmp_path / "plate"
    folder.mkdir()
    pixels = np.ones((48, 32, len(names)), np.float16) * np.array(values, np.float16)
    for frame in FRAMES:
        write_exr(folder / f"lum.{frame}.exr", pixels, names)
    return str(folder / "lum.####.exr"), names


def _errors(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("ghostswap: ERROR")]


def test_render_refuses_the_sequence_once_before_loading_models(
    plate: tuple[str, list[str]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import ghost_core.engine.shot as shot_module

    def no_models(*_: object, **__: object) -> None:
        raise AssertionError("the plate must be refused before any model is loaded")

    monkeypatch.setattr(shot_module.Shot, "__init__", no_models)
    pattern, _names = plate
    out = tmp_path / "out"
    argv = ["render", "--plate", pattern, "--source", PHOTO, "--swapper", "morph"]
    code, _, err = run_main([*argv, "--out", str(out / "swap.####.exr")], capsys)
    assert code == InputError.exit_code
    errors = _errors(err)
    assert len(errors) == 1, err
    message = errors[0]
    assert pattern in message
    assert "luminance" in message and "RGB" in message
    assert "1001-1003" in message, "one message for the whole sequence"
    assert not out.exists() or not list(out.iterdir())


def test_bake_and_track_refuse_it_too(
    plate: tuple[str, list[str]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pattern, _ = plate
    job = write_job(tmp_path / "job.json", plate=pattern, output="out/swap.####.exr")
    for argv in (["bake", "--job", str(job), "--local"], ["track", "--job", str(job)]):
        code, _, err = run_main(argv, capsys)
        assert code == InputError.exit_code, argv
        assert len(_errors(err)) == 1 and "luminance" in err
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


def test_frames_info_shows_the_layout_and_refuses_once(
    plate: tuple[str, list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    pattern, names = plate
    code, out, err = run_main(["frames", "info", pattern], capsys)
    assert code == InputError.exit_code
    for name in names:
        assert f"{name}:half" in out, out
    assert out.count("luminance") == 1 and "unreadable 1002" not in out, out
    assert len(_errors(err)) == 1

    code, out, _ = run_main(["--json", "frames", "info", pattern], capsys)
    report = json.loads(out)
    assert code == InputError.exit_code and report["ok"] is False
    assert sorted(report["channels"]) == sorted(names)
    assert "luminance" in report["layout_problem"]


def test_frames_convert_refuses_before_writing(
    plate: tuple[str, list[str]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pattern, _ = plate
    out = tmp_path / "converted"
    code, _, err = run_main(["frames", "convert", "--in", pattern, "--out", str(out / "c.####.exr")], capsys)
    assert code == InputError.exit_code
    assert len(_errors(err)) == 1 and "luminance" in err
    assert not out.exists() or not list(out.iterdir())


def test_job_check_names_the_layout(
    plate: tuple[str, list[str]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pattern, _ = plate
    job = write_job(tmp_path / "job.json", plate=pattern, output="out/swap.####.exr")
    code, out, _ = run_main(["job", "check", str(job)], capsys)
    assert code == InputError.exit_code
    assert "luminance" in out
