"""A re-drawn holdout re-renders the frames it changed, without --overwrite.

A roto re-published in place keeps its path, which is all the render digest knows of it. Resume
must still take the frame as stale, as it does for a re-written plate frame.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from ghost_core import cli
from ghost_core.faces.trackfile import load_trackfile
from ghost_core.io.exr import read_frame
from tests.shots import ASSETS, colour_path, video_frames, write_plate_frame

SOURCE = str(ASSETS / "faces" / "elon_musk.jpg")
OFFLINE = ["--swapper", "morph", "--detector", "retinaface", "--landmarker", "mesh"]


def _box(shape: tuple[int, int], centre: np.ndarray) -> np.ndarray:
    hold = np.zeros(shape, np.float32)
    x, y = centre.round().astype(int)
    hold[y - 6 : y + 6, x - 6 : x + 6] = 1.0
    return hold


def _write_holdout(path: Path, hold: np.ndarray) -> None:
    write_plate_frame(path, np.dstack([hold] * 3), {"A": hold})


def _render(args: list[str], capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    capsys.readouterr()
    assert cli.main(["--json", "-q", "render", *args]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.fixture(scope="module")
def shot(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """Two dance.mp4 frames, their track, and a roto box over each eye (plate-sized, float)."""
    folder = tmp_path_factory.mktemp("holdout_shot")
    color = colour_path()
    frames = [color.from_model(np.ascontiguousarray(f)) for f in video_frames("dance.mp4", 2)]
    for i, linear in enumerate(frames):
        write_plate_frame(folder / f"plate.{1001 + i}.exr", linear)
    plate, track = str(folder / "plate.####.exr"), str(folder / "track.json")
    assert cli.main(["-q", "track", "--plate", plate, "--source", SOURCE, "--out", track, *OFFLINE]) == 0
    kps = load_trackfile(track).kps_at(1, 1002)
    shape = frames[0].shape[:2]
    return {"plate": plate, "track": track, "left": _box(shape, kps[0]), "right": _box(shape, kps[1])}


def _args(shot: dict[str, object], out: Path, holdout: Path) -> list[str]:
    return ["--plate", str(shot["plate"]), "--source", SOURCE, "--track", str(shot["track"]),
            "--out", str(out), *OFFLINE, "--keep-expression", "off", "--holdout", str(holdout)]  # fmt: skip


def test_a_redrawn_holdout_frame_is_rendered_again(
    shot: dict[str, object], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    left, right = shot["left"], shot["right"]  # a roto box over one eye, then the other
    assert isinstance(left, np.ndarray) and isinstance(right, np.ndarray)
    for f in (1001, 1002):
        _write_holdout(tmp_path / f"hold.{f}.exr", left)
    args = _args(shot, tmp_path / "out" / "o.####.exr", tmp_path / "hold.####.exr")
    first = _render(args, capsys)
    assert first["written"] == 2
    before = read_frame(tmp_path / "out" / "o.1002.exr").plane("ghost.matte")
    assert np.all(before[left > 0] == 0) and before[right > 0].min() > 0.5

    # The roto artist fixes frame 1002 and publishes it again at the same path.
    redrawn = tmp_path / "hold.1002.exr"
    _write_holdout(redrawn, right)
    later = (tmp_path / "out" / "o.1002.exr").stat().st_mtime_ns + 10**9
    os.utime(redrawn, ns=(later, later))  # newer than the frame, whatever the clock's granularity
    kept = (tmp_path / "out" / "o.1001.exr").stat().st_mtime_ns
    second = _render(args, capsys)
    assert second["written"] == 1 and second["skipped_complete"] == 1
    assert (tmp_path / "out" / "o.1001.exr").stat().st_mtime_ns == kept  # untouched
    after = read_frame(tmp_path / "out" / "o.1002.exr").plane("ghost.matte")
    assert np.all(after[right > 0] == 0) and after[left > 0].min() > 0.5


def test_a_missing_holdout_frame_fails_before_any_frame_is_rendered(
    shot: dict[str, object], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    left = shot["left"]
    assert isinstance(left, np.ndarray)
    _write_holdout(tmp_path / "hold.1001.exr", left)  # the roto of 1002 was never rendered
    out = tmp_path / "out"
    capsys.readouterr()
    assert cli.main(["-q", "render", *_args(shot, out / "o.####.exr", tmp_path / "hold.####.exr")]) == 3
    assert "no holdout file for frames 1002" in capsys.readouterr().err
    assert not list(out.glob("*.exr")), "a frame was rendered before the missing roto was found"
    assert cli.main(["-q", "render", *_args(shot, out / "o.####.exr", tmp_path / "hold.####.exr"),
                     "--frames", "1001"]) == 0  # fmt: skip
    assert (out / "o.1001.exr").is_file()
