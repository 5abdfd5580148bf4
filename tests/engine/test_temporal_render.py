"""Stable output through real renders: a repeated plate frame gives the identical swap, and with the
temporal filter on, farm chunks (which read their own pre-roll) are bit-exact with a whole render.

The plate: 256 px crops of dance.mp4 around the dancer's face, clip frames 0-7 with frame 4 shown
twice (1005 and 1006), scene-linear ACEScg half EXR; offline detector, face mesh and morph swapper.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ghost_core import cli
from tests.engine.conftest import ASSETS, colour_path, video_frames, write_plate_frame
from tests.shots import bits, frame

SOURCE = str(ASSETS / "faces" / "elon_musk.jpg")
OFFLINE = ["--swapper", "morph", "--detector", "retinaface", "--landmarker", "mesh", "-q"]
FILTER = ["--temporal-strength", "1", "--temporal-window", "2"]
CLIP_FRAMES = [0, 1, 2, 3, 4, 4, 5, 6, 7]
FRAMES = list(range(1001, 1001 + len(CLIP_FRAMES)))
HELD = (1005, 1006)


@pytest.fixture(scope="module")
def shot(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("temporal")
    color = colour_path()
    clip = video_frames("dance.mp4", max(CLIP_FRAMES) + 1)
    for f, c in zip(FRAMES, CLIP_FRAMES, strict=True):
        face = np.ascontiguousarray(clip[c][60:316, 100:356])
        write_plate_frame(folder / f"plate.{f:04d}.exr", color.from_model(face))
    plate, track = str(folder / "plate.####.exr"), str(folder / "shot.track.json")
    assert cli.main(["track", "--plate", plate, "--source", SOURCE, "--out", track, *OFFLINE]) == 0
    paths = {"plate": plate, "track": track, "folder": str(folder)}
    for name, extra in (("filter", FILTER), ("off", ["--temporal-strength", "0"])):
        paths[name] = render(paths, str(folder / name / "swap.####.exr"), *extra)
    return paths


def render(shot: dict[str, str], out: str, *extra: str) -> str:
    argv = ["render", "--plate", shot["plate"], "--source", SOURCE, "--track", shot["track"], "--out", out]
    assert cli.main([*argv, *OFFLINE, *extra]) == 0
    return out


def test_every_frame_is_swapped(shot: dict[str, str]) -> None:
    for f in FRAMES:
        assert frame(shot["filter"], f).plane("ghost.matte").max() > 0.99, f


def test_chunks_with_the_filter_on_equal_the_whole_render_bit_for_bit(shot: dict[str, str]) -> None:
    chunked = str(Path(shot["folder"]) / "chunks" / "swap.####.exr")
    for spec in ("1001-1003", "1004-1007", "1008-1009"):
        render(shot, chunked, "--frames", spec, *FILTER)
    for f in FRAMES:
        whole, chunk = frame(shot["filter"], f), frame(chunked, f)
        assert whole.channel_names == chunk.channel_names
        for name in whole.channel_names:
            assert np.array_equal(bits(whole, name), bits(chunk, name)), (f, name)


@pytest.mark.parametrize("variant", ["filter", "off"])
def test_repeated_plate_frame_gives_the_identical_swap(shot: dict[str, str], variant: str) -> None:
    held, twin = (frame(shot[variant], f) for f in HELD)
    assert held.plane("ghost.matte").max() > 0.99
    for name in held.channel_names:
        assert np.array_equal(bits(held, name), bits(twin, name)), name


def test_filter_changes_the_swap_but_stays_close_to_each_frames_own(shot: dict[str, str]) -> None:
    """The filter does something (so the tests above are not trivial) and does not drag the face."""
    moved = []
    for f in FRAMES[2:]:
        filtered, own = frame(shot["filter"], f), frame(shot["off"], f)
        plate = frame(shot["plate"], f)
        inside = own.plane("ghost.matte") > 0.99
        rgb = slice(0, 3)
        swap_change = np.abs(own.rgba()[..., rgb] - plate.rgba()[..., rgb])[inside].mean()
        filter_change = np.abs(filtered.rgba()[..., rgb] - own.rgba()[..., rgb])[inside].mean()
        moved.append(filter_change)
        assert filter_change < 0.25 * swap_change, (f, filter_change, swap_change)
    assert max(moved) > 0, "the filter left every frame as it was"
