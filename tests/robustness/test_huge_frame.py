"""An 8192×4320 (8K DCI) frame: `frames info` and `render` handle it without running out of memory."""

from __future__ import annotations

import json
import resource
from pathlib import Path

import numpy as np
import pytest

from ghost_core import cli
from ghost_core.io.exr import read_frame
from tests.shots import ASSETS, write_plate_frame

SOURCE = str(ASSETS / "faces" / "elon_musk.jpg")
OFFLINE = ["--swapper", "morph", "--detector", "retinaface", "--landmarker", "mesh"]
WIDTH, HEIGHT = 8192, 4320


def test_an_8k_frame_without_a_face_passes_through(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rgb = np.full((HEIGHT, WIDTH, 3), 0.18, np.float32)
    rgb[:, : WIDTH // 2] = 2.5  # values above 1 must survive too
    write_plate_frame(tmp_path / "p.0001.exr", rgb)
    del rgb
    plate, out = str(tmp_path / "p.####.exr"), str(tmp_path / "o" / "o.####.exr")
    capsys.readouterr()
    assert cli.main(["--json", "frames", "info", plate]) == 0
    assert f"{WIDTH}" in capsys.readouterr().out
    assert cli.main(["--json", "render", "--plate", plate, "--source", SOURCE, "--out", out, *OFFLINE]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["written"] == 1 and summary["frames_without_face"] == [1]
    result, source = read_frame(tmp_path / "o" / "o.0001.exr"), read_frame(tmp_path / "p.0001.exr")
    assert (result.width, result.height) == (WIDTH, HEIGHT)
    for name in "RGB":
        assert np.array_equal(result.plane(name).view(np.uint16), source.plane(name).view(np.uint16))
    peak_gib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / (1 << 20)
    assert peak_gib < 8, f"peak resident memory {peak_gib:.1f} GiB for one 8K frame"
