"""`color.mode local` through the real render: chunks equal the whole render, the plate's bits come
through wherever the matte is 0, and it paints other pixels than the global match.

dance.mp4 (4 frames, scene-linear) through the offline morph swapper.
"""

from __future__ import annotations

import numpy as np
import pytest

from ghost_core import cli
from ghost_core.io.exr import read_frame
from ghost_core.io.sequence import FramePattern
from tests.shots import ASSETS, write_dance_plate

SOURCE = str(ASSETS / "faces" / "elon_musk.jpg")
OFFLINE = ["--swapper", "morph", "--detector", "retinaface", "--landmarker", "mesh"]
FRAMES = 4


def _bits(plane: np.ndarray) -> np.ndarray:
    return plane.view(np.uint16 if plane.dtype == np.float16 else np.uint32)


@pytest.fixture(scope="module")
def shot(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("colour_mode")
    plate = write_dance_plate(folder, FRAMES)
    track = str(folder / "track.json")
    assert cli.main(["-q", "track", "--plate", plate, "--source", SOURCE, "--out", track, *OFFLINE]) == 0
    common = ["--plate", plate, "--source", SOURCE, "--track", track, *OFFLINE]
    outs = {name: str(folder / name / "o.####.exr") for name in ("global", "local", "chunks")}
    assert cli.main(["-q", "render", *common, "--out", outs["global"], "--color-mode", "global"]) == 0
    assert cli.main(["-q", "render", *common, "--out", outs["local"], "--color-mode", "local"]) == 0
    for spec in ("1001-1002", "1003-1004"):
        args = ["-q", "render", *common, "--out", outs["chunks"], "--color-mode", "local", "--frames", spec]
        assert cli.main(args) == 0
    return {"plate": plate, **outs}


def _frame(shot: dict[str, str], key: str, f: int):  # type: ignore[no-untyped-def]
    return read_frame(FramePattern.parse(shot[key]).path(f))


def test_local_chunks_equal_whole(shot: dict[str, str]) -> None:
    for f in range(1001, 1001 + FRAMES):
        a, b = _frame(shot, "local", f), _frame(shot, "chunks", f)
        assert a.channel_names == b.channel_names
        for name in a.channel_names:
            assert np.array_equal(_bits(a.plane(name)), _bits(b.plane(name))), (f, name)


def test_local_keeps_the_plate_outside_the_matte_and_differs_from_global(shot: dict[str, str]) -> None:
    for f in range(1001, 1001 + FRAMES):
        local, glob, plate = _frame(shot, "local", f), _frame(shot, "global", f), _frame(shot, "plate", f)
        outside = local.plane("ghost.matte") == 0
        assert outside.any() and not outside.all()
        for name in ("R", "G", "B"):
            same = _bits(local.plane(name))[outside] == _bits(plate.plane(name))[outside]
            assert same.all(), (f, name)
        inside = ~outside
        assert not np.array_equal(local.plane("R")[inside], glob.plane("R")[inside]), f
        rgb = np.dstack([local.plane(n).astype(np.float32) for n in ("R", "G", "B")])
        ref = np.dstack([plate.plane(n).astype(np.float32) for n in ("R", "G", "B")])
        assert not ((rgb < 0) & (ref >= 0)).any(), f"{f}: new negatives"
