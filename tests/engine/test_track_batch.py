"""`track` detects DETECT_GROUP frames per detector call: the track file is byte-identical to one
frame at a time, and no more than a group of decoded frames is held at once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ghost_core import cli
from ghost_core.engine import shot
from tests.shots import ASSETS, write_dance_plate

SOURCE = str(ASSETS / "faces" / "elon_musk.jpg")
OFFLINE = ["--swapper", "morph", "--detector", "retinaface", "--landmarker", "mesh"]
FRAMES = 7  # two groups of 4 and 3: a full group and the short last one


@pytest.fixture(scope="module")
def plate(tmp_path_factory: pytest.TempPathFactory) -> str:
    return write_dance_plate(tmp_path_factory.mktemp("batch"), count=FRAMES)


def track(plate: str, out: Path) -> bytes:
    assert cli.main(["-q", "track", "--plate", plate, "--source", SOURCE, "--out", str(out), *OFFLINE]) == 0
    return out.read_bytes()


def test_batched_track_file_equals_one_frame_at_a_time(plate, tmp_path, monkeypatch):
    reads: list[int] = []
    calls: list[tuple[int, int]] = []  # (frames in the call, frames read when it was made)
    read_frame, detect_many = shot.read_frame, shot._detect_many

    def counting_read(path: Any) -> Any:
        reads.append(1)
        return read_frame(path)

    def recording_detect(detector: Any, images: list[np.ndarray]) -> list[Any]:
        calls.append((len(images), len(reads)))
        return detect_many(detector, images)

    monkeypatch.setattr(shot, "read_frame", counting_read)
    monkeypatch.setattr(shot, "_detect_many", recording_detect)
    batched = track(plate, tmp_path / "batched.json")
    # Detection reads frames of its own only: mask settings (and nothing else) read after it.
    assert calls == [(4, 4), (3, 7)], "not grouped, or more than a group of frames held before detecting"

    # Off: today's path, one frame read and detected (by `detect` itself) before the next is read.
    monkeypatch.setattr(shot, "DETECT_GROUP", 1)
    monkeypatch.setattr(shot, "_detect_many", lambda det, images: [det.detect(i) for i in images])
    single = track(plate, tmp_path / "single.json")
    assert b'"boxes"' in single and batched == single
