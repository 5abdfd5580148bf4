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


def test_a_redrawn_holdout_frame_is_rendered_again(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    color = colour_path()
    frames = [color.from_model(np.ascontiguousarray(f)) for f in video_frames("dance.mp4", 2)]
    for i, linear in enumerate(frames):
        write_plate_frame(tmp_path / f"plate.{1001 + i}.exr", linear)
    plate, track = str(tmp_path / "plate.####.exr"), str(tmp_path / "track.json")
    assert cli.main(["-q", "track", "--plate", plate, "--source", SOURCE, "--out", track, *OFFLINE]) == 0
    kps = load_trackfile(track).kps_at(1, 1002)
    shape = frames[0].shape[:2]
    left, right = _box(shape, kps[0]), _box(shape, kps[1])  # a roto box over one eye, then the other
    for f in (1001, 1002):
        _write_holdout(tmp_path / f"hold.{f}.exr", left)
    out = tmp_path / "out" / "o.####.exr"
    args = ["--plate", plate, "--source", SOURCE, "--track", track, "--out", str(out), *OFFLINE,
            "--keep-expression", "off", "--holdout", str(tmp_path / "hold.####.exr")]  # fmt: skip
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
