"""`--boost tiles` in a real render (random GHOST weights in the official layout): a large face is
pasted from the tiled 448 swap, the result is the same in farm chunks as whole, pixels outside
the matte stay bit-exact, and a face no larger than the generator renders exactly as without boost."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest

from ghost_core import cli
from ghost_core.io.exr import read_frame
from ghost_core.io.source_image import read_source_image
from tests.engine.conftest import ASSETS, colour_path, write_plate_frame

SOURCE = str(ASSETS / "faces" / "mark.jpg")


@pytest.fixture(scope="module")
def ghost_home(random_ghost_home: Path) -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GHOSTSWAP_HOME", str(random_ghost_home))
        yield


def _plate(folder: Path, photo: str, scale: float, count: int) -> str:
    """A photo as a short linear shot, drifting 3 px a frame so every frame's crop differs."""
    folder.mkdir(parents=True, exist_ok=True)
    rgb = read_source_image(ASSETS / "faces" / photo)
    rgb = cv2.resize(rgb, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    color = colour_path()
    for i in range(count):
        shifted = np.roll(rgb, 3 * i, axis=1)
        write_plate_frame(folder / f"p.{1001 + i:04d}.exr", color.from_model(np.ascontiguousarray(shifted)))
    return str(folder / "p.####.exr")


def _render(plate: str, out: Path, frames: str, boost: str, track: Path) -> None:
    code = cli.main([
        "render", "--plate", plate, "--frames", frames, "--source", SOURCE, "--out", str(out / "s.####.exr"),
        "--track", str(track), "--swapper", "ghost", "--model", "ghost_unet_1block",
        "--detector", "retinaface", "--landmarker", "mesh", "--batch", "2", "--boost", boost,
        "--temporal-hold", "0",
    ])  # fmt: skip
    assert code == 0


def _track(plate: str, track: Path) -> None:
    code = cli.main([
        "track", "--plate", plate, "--source", SOURCE, "--out", str(track), "--detector", "retinaface",
        "--landmarker", "mesh", "--swapper", "ghost", "--model", "ghost_unet_1block",
    ])  # fmt: skip
    assert code == 0


def _planes(folder: Path, frame: int) -> tuple[np.ndarray, np.ndarray]:
    f = read_frame(folder / f"s.{frame}.exr")
    rgb = np.stack([f.plane(c).astype(np.float32) for c in "RGB"], axis=2)
    return rgb, f.plane("ghost.matte").astype(np.float32)


@pytest.mark.slow
def test_boost_on_a_large_face_is_chunk_invariant_and_changes_only_the_face(
    tmp_path: Path, ghost_home: None
) -> None:
    plate = _plate(tmp_path / "plate", "beckham.jpg", 0.75, 3)  # the 224 crop spans ~330 plate px
    track = tmp_path / "t.json"
    _track(plate, track)
    _render(plate, tmp_path / "whole", "1001-1003", "tiles", track)
    _render(plate, tmp_path / "a", "1001-1002", "tiles", track)
    _render(plate, tmp_path / "b", "1003", "tiles", track)
    _render(plate, tmp_path / "plain", "1001", "off", track)
    for frame, part in ((1001, "a"), (1002, "a"), (1003, "b")):
        whole, part_rgb = _planes(tmp_path / "whole", frame), _planes(tmp_path / part, frame)
        assert np.array_equal(whole[0], part_rgb[0]) and np.array_equal(whole[1], part_rgb[1])
    boosted, matte = _planes(tmp_path / "whole", 1001)
    plain, plain_matte = _planes(tmp_path / "plain", 1001)
    source = read_frame(Path(plate.replace("####", "1001")))
    original = np.stack([source.plane(c).astype(np.float32) for c in "RGB"], axis=2)
    # The matte follows the swapped face's landmarks (at 224 for both), so it lands where the plain one does.
    both, either = np.sum((matte > 0.5) & (plain_matte > 0.5)), np.sum((matte > 0.5) | (plain_matte > 0.5))
    assert both / either > 0.9
    assert matte.max() > 0.9
    assert np.array_equal(boosted[matte == 0], original[matte == 0])
    inside = matte > 0.5
    assert np.abs(boosted - plain)[inside].mean() > 1e-3, "boost did not change the pasted face"


@pytest.mark.slow
def test_boost_leaves_a_face_no_larger_than_the_generator_alone(tmp_path: Path, ghost_home: None) -> None:
    plate = _plate(tmp_path / "plate", "beckham.jpg", 0.5, 1)  # crop spans ~220 plate px
    track = tmp_path / "t.json"
    _track(plate, track)
    _render(plate, tmp_path / "tiles", "1001", "tiles", track)
    _render(plate, tmp_path / "off", "1001", "off", track)
    tiles, tiles_matte = _planes(tmp_path / "tiles", 1001)
    off, off_matte = _planes(tmp_path / "off", 1001)
    assert tiles_matte.max() > 0.9
    assert np.array_equal(tiles, off) and np.array_equal(tiles_matte, off_matte)
