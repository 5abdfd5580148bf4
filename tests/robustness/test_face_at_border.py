"""A face cut by the frame edge: render neither crashes nor touches pixels outside its matte."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from ghost_core import cli
from ghost_core.io.exr import read_frame
from tests.shots import ASSETS, colour_path, video_frames, write_plate_frame

SOURCE = str(ASSETS / "faces" / "elon_musk.jpg")
OFFLINE = ["--swapper", "morph", "--detector", "retinaface", "--landmarker", "mesh"]


def _face_box(rgb: np.ndarray) -> tuple[int, int, int, int]:
    from ghost_core.faces.detectors.retinaface import RetinaFaceDetector

    x0, y0, x1, y1 = RetinaFaceDetector().detect(rgb)[0].box[:4]
    return int(x0), int(y0), int(x1), int(y1)


@pytest.mark.parametrize("edge", ["left", "top"])
def test_a_face_across_the_border_renders_and_keeps_the_plate_outside_the_matte(
    edge: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    frames = video_frames("dance.mp4", 2)
    x0, y0, x1, y1 = _face_box(frames[0])
    # Crop so that about 30 % of the face lies beyond the chosen edge.
    cut = (x0 + (x1 - x0) * 3 // 10, 0) if edge == "left" else (0, y0 + (y1 - y0) * 3 // 10)
    color = colour_path()
    for i, rgb in enumerate(frames):
        part = np.ascontiguousarray(rgb[cut[1] :, cut[0] :])
        write_plate_frame(tmp_path / f"p.{1 + i:04d}.exr", color.from_model(part))
    plate, out = str(tmp_path / "p.####.exr"), str(tmp_path / "o" / "o.####.exr")
    capsys.readouterr()
    assert cli.main(["--json", "render", "--plate", plate, "--source", SOURCE, "--out", out, *OFFLINE]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["written"] == 2
    accounted = summary["faces_replaced"] + len(summary["skipped_faces"])
    accounted += len(summary["frames_without_face"])
    assert accounted >= 2 and summary["faces_replaced"] >= 1, summary
    for frame in (1, 2):
        result = read_frame(tmp_path / "o" / f"o.{frame:04d}.exr")
        source = read_frame(tmp_path / f"p.{frame:04d}.exr")
        outside = result.plane("ghost.matte") == 0
        for name in "RGB":
            a, b = result.plane(name).view(np.uint16), source.plane(name).view(np.uint16)
            assert np.array_equal(a[outside], b[outside])
        assert np.isfinite(result.plane("ghost.matte")).all()
