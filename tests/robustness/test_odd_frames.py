"""A 1x1 frame and a frame of NaN, Inf and negative pixels render, and come back untouched.

Neither holds a face, so the swap must leave every plate pixel bit for bit (NaN payloads and
negative scene-linear values included) instead of crashing in detection or the paste-back.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ghost_core.io.exr import read_frame
from tests.robustness.conftest import PHOTO, run_main, write_exr

OFFLINE = ["--swapper", "morph", "--detector", "retinaface", "--landmarker", "mesh"]
ODD = {
    "1x1": np.ones((1, 1, 4), np.float16),
    "nan-inf-negative": np.array([[[np.nan, np.inf, -1.5, 1.0]]], np.float16).repeat(48, 0).repeat(64, 1),
}


@pytest.mark.parametrize("name", list(ODD))
def test_odd_frame_renders_with_the_plate_untouched(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_exr(tmp_path / "plate.1001.exr", ODD[name])
    out = tmp_path / "out" / "swap.####.exr"
    argv = ["-q", "render", "--plate", str(tmp_path / "plate.####.exr"), "--source", PHOTO, "--out", str(out)]
    code, _, err = run_main([*argv, *OFFLINE], capsys)
    assert code == 0, err
    plate, swapped = read_frame(tmp_path / "plate.1001.exr"), read_frame(tmp_path / "out" / "swap.1001.exr")
    for channel in ("R", "G", "B"):
        a, b = plate.plane(channel), swapped.plane(channel)
        assert a.shape == b.shape and np.array_equal(a.view(np.uint16), b.view(np.uint16)), channel
