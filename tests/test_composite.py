"""Paste-back: the swapper's change added to the plate in linear light; untouched plate bits are kept."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import OpenImageIO as oiio
import pytest

from ghost_core.color import ColorPath, load_config
from ghost_core.composite import combine_mattes, paste_face, place
from ghost_core.faces.align import Alignment, crop_footprint, transform_points, warp_crop
from ghost_core.io.exr import read_frame
from ghost_core.io.exr_write import write_frame
from ghost_core.matte import MaskParams, face_mask
from tests.face_shapes import toy_face

GAIN = 0.5
PATCH = (slice(100, 150), slice(80, 145))  # crop rows, cols the fake swap changes (nose and mouth)
PATCH_COLOUR = np.array([0.6, 0.45, 0.35], np.float32)


@pytest.fixture(scope="module")
def color() -> ColorPath:
    return ColorPath.create(load_config("ocio://studio-config-latest"), "ACEScg")


@pytest.fixture(scope="module")
def matte_crop() -> np.ndarray:
    return face_mask(toy_face(), MaskParams(5, 5.0, 5.0, 2.0))


def _alignment(scale: float, angle_deg: float, at: tuple[float, float]) -> Alignment:
    """Frame → crop similarity: the crop appears `scale` times its size on the frame, turned by the angle."""
    a = np.deg2rad(angle_deg)
    rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]]) / scale
    return Alignment(np.hstack([rot, (-rot @ np.asarray(at))[:, None]]), pose=2)


def _frame_pixel(alignment: Alignment, crop_xy: tuple[float, float]) -> tuple[int, int]:
    """(row, col) of the frame pixel whose centre lands nearest `crop_xy`."""
    x, y = transform_points(alignment.inverse, np.array([crop_xy], np.float64))[0]
    return int(np.rint(y)), int(np.rint(x))


def _plate(height: int, width: int, alignment: Alignment) -> np.ndarray:
    """Scene-linear gradient with a hot highlight on the cheek and NaN/Inf inside and outside the face."""
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    base = 0.05 + 0.4 * xs / width + 0.2 * ys / height
    plate = np.stack([base, 0.8 * base, 0.6 * base - 0.04], -1).astype(np.float32)
    r, c = _frame_pixel(alignment, (150.0, 112.0))  # right cheek: in the matte, outside the patch
    plate[r - 1 : r + 2, c - 1 : c + 2] = 12.0
    r, c = _frame_pixel(alignment, (75.0, 150.0))  # left cheek: negative light, kept as it is
    plate[r - 1 : r + 2, c - 1 : c + 2] = [-0.03, -0.01, -0.05]
    plate[0, 0] = np.nan
    plate[-1, -1, 1] = np.inf
    r, c = _frame_pixel(alignment, (4.0, 4.0))  # in the crop's zero band: inside the footprint, matte 0
    plate[r, c] = [np.nan, -np.inf, np.nan]
    r, c = _frame_pixel(alignment, (112.0, 125.0))  # inside the changed patch
    plate[r, c, 0] = np.nan
    return plate


def _crops(plate: np.ndarray, alignment: Alignment, color: ColorPath) -> tuple[np.ndarray, np.ndarray]:
    """What the network saw (model space, clipped) and a fake swap that changes only the patch."""
    crop = np.nan_to_num(warp_crop(plate, alignment), nan=0.0, posinf=0.0, neginf=0.0)
    seen = color.to_model(crop, GAIN, clip=True)
    swap = seen.copy()
    swap[PATCH] = PATCH_COLOUR
    return seen, swap


def _crop_positions(alignment: Alignment, box: tuple[int, int, int, int]) -> np.ndarray:
    x, y, w, h = box
    ys, xs = np.mgrid[y : y + h, x : x + w]
    points = np.stack([xs.ravel(), ys.ravel()], -1).astype(np.float64)
    return transform_points(alignment.matrix, points).reshape(h, w, 2)


def _near_patch(crop_xy: np.ndarray, margin: float) -> np.ndarray:
    rows, cols = PATCH
    return (
        (crop_xy[..., 0] > cols.start - margin)
        & (crop_xy[..., 0] < cols.stop - 1 + margin)
        & (crop_xy[..., 1] > rows.start - margin)
        & (crop_xy[..., 1] < rows.stop - 1 + margin)
    )


@pytest.mark.parametrize("scale", [0.6, 1.6])  # face smaller on the plate (area filter), then larger
def test_paste_face_changes_only_what_the_swap_changed(
    color: ColorPath, matte_crop: np.ndarray, scale: float
) -> None:
    height, width = (200, 240) if scale < 1 else (420, 460)
    alignment = _alignment(scale, 10.0, (60.0, 20.0))
    plate = _plate(height, width, alignment)
    before = plate.copy()
    seen, swap = _crops(plate, alignment, color)

    rgb, matte, box = paste_face(plate, swap, seen, alignment, matte_crop, color, GAIN)
    assert box == crop_footprint(alignment, height, width)
    x, y, w, h = box
    assert rgb.shape == (h, w, 3) and matte.shape == (h, w)
    assert np.array_equal(plate.view(np.uint32), before.view(np.uint32))  # the plate is not touched
    source = plate[y : y + h, x : x + w]
    crop_xy = _crop_positions(alignment, box)

    # Matte 0: the plate's bits, NaN and -Inf included.
    outside = matte == 0
    assert np.isnan(source[outside]).any() and np.isneginf(source[outside]).any()
    assert np.array_equal(rgb[outside].view(np.uint32), source[outside].view(np.uint32))

    # In the matte but away from the change: still the plate, exactly; the 12.0 highlight survives
    # although the network saw it clipped to 1.
    untouched = ~outside & ~_near_patch(crop_xy, 3.0) & np.isfinite(source).all(-1)
    assert np.array_equal(rgb[untouched], source[untouched])
    r, c = _frame_pixel(alignment, (150.0, 112.0))
    assert matte[r - y, c - x] > 0.99 and np.all(rgb[r - y, c - x] == 12.0)

    # Where the swap changed the face and the matte is solid, the result is the swap in linear light.
    swap_linear = color.from_model(PATCH_COLOUR[None, None], GAIN)[0, 0]
    # (Away from the NaN pixel: the network saw a black hole there, so its neighbours carry that.)
    hole = np.hypot(crop_xy[..., 0] - 112.0, crop_xy[..., 1] - 125.0) < 3.0 + 2.0 / scale
    solid = _near_patch(crop_xy, -3.0) & (matte > 0.999) & ~hole
    assert solid.sum() > 500
    np.testing.assert_allclose(rgb[solid], np.broadcast_to(swap_linear, rgb[solid].shape), rtol=2e-3)

    # A NaN plate pixel inside the matte takes the swap's value instead of staying NaN.
    r, c = _frame_pixel(alignment, (112.0, 125.0))
    assert np.isnan(source[r - y, c - x, 0])
    np.testing.assert_allclose(rgb[r - y, c - x], swap_linear, rtol=2e-3)
    assert np.isfinite(rgb[~outside]).all()


def test_identity_swap_returns_the_plate(color: ColorPath, matte_crop: np.ndarray) -> None:
    """A network that returns what it saw changes nothing: highlights, negatives, all bits."""
    alignment = _alignment(0.8, -5.0, (50.0, 30.0))
    plate = _plate(220, 240, alignment)
    seen, _ = _crops(plate, alignment, color)
    rgb, matte, (x, y, w, h) = paste_face(plate, seen, seen, alignment, matte_crop, color, GAIN)
    source = plate[y : y + h, x : x + w]
    finite = np.isfinite(source).all(-1)
    assert (source[finite] > 1.0).any() and (source[finite] < 0.0).any()
    assert np.array_equal(rgb[finite], source[finite])
    assert np.isfinite(rgb[(matte > 0) & ~finite]).all()


def test_plate_box_with_origin_matches_the_full_frame(color: ColorPath, matte_crop: np.ndarray) -> None:
    alignment = _alignment(0.6, 10.0, (60.3, 25.7))
    plate = _plate(200, 240, alignment)
    seen, swap = _crops(plate, alignment, color)
    full = paste_face(plate, swap, seen, alignment, matte_crop, color, GAIN)
    part = paste_face(plate[:, 40:], swap, seen, alignment, matte_crop, color, GAIN, origin=(40, 0))
    assert part.box == full.box
    assert np.array_equal(part.rgb.view(np.uint32), full.rgb.view(np.uint32))
    assert np.array_equal(part.matte, full.matte)


def test_sequential_faces_and_combined_matte(color: ColorPath, matte_crop: np.ndarray) -> None:
    """Two faces on one frame: the second is composited over the first's result; the matte is the union."""
    first, second = _alignment(0.5, 0.0, (20.0, 20.0)), _alignment(0.5, 0.0, (90.0, 40.0))
    plate = _plate(180, 240, first)
    frame = plate.copy()
    mattes = []
    for alignment in (first, second):
        seen, swap = _crops(frame, alignment, color)
        rgb, matte, (x, y, w, h) = paste_face(frame, swap, seen, alignment, matte_crop, color, GAIN)
        frame[y : y + h, x : x + w] = rgb
        mattes.append(place(matte, (x, y, w, h), *frame.shape[:2]))
    combined = combine_mattes(mattes)
    assert np.array_equal(combined, np.maximum(mattes[0], mattes[1]))
    assert (mattes[0] > 0).sum() > 100 and (mattes[1] > 0).sum() > 100
    outside = combined == 0
    assert np.array_equal(frame[outside].view(np.uint32), plate[outside].view(np.uint32))
    for alignment in (first, second):  # both noses carry the swap colour
        r, c = _frame_pixel(alignment, (112.0, 125.0))
        if np.isfinite(plate[r, c]).all():
            np.testing.assert_allclose(
                frame[r, c], color.from_model(PATCH_COLOUR[None, None], GAIN)[0, 0], 2e-3
            )
    with pytest.raises(ValueError, match="no mattes"):
        combine_mattes([])


def _write_half_exr(path: Path, rgb: np.ndarray) -> None:
    spec = oiio.ImageSpec(rgb.shape[1], rgb.shape[0], 3, "half")
    spec.channelnames = ("R", "G", "B")
    spec.attribute("compression", "zip")
    out = oiio.ImageOutput.create(str(path))
    assert out.open(str(path), spec), out.geterror()
    assert out.write_image(rgb.astype(np.float16)), out.geterror()
    out.close()


def test_exr_plate_through_paste_and_writer(tmp_path: Path, color: ColorPath, matte_crop: np.ndarray) -> None:
    """Half EXR with highlights and NaN → paste_face → write_frame: untouched pixels keep their bits."""
    alignment = _alignment(0.6, 10.0, (60.0, 20.0))
    source_path = tmp_path / "plate.exr"
    _write_half_exr(source_path, _plate(200, 240, alignment) * 1.5)
    frame = read_frame(source_path)
    plate = np.ascontiguousarray(frame.rgba()[..., :3])
    assert np.nanmax(plate) > 1.0 and np.isnan(plate).any()
    seen, swap = _crops(plate, alignment, color)
    rgb, matte_box, box = paste_face(plate, swap, seen, alignment, matte_crop, color, GAIN)
    matte = place(matte_box, box, frame.height, frame.width)

    out_path = tmp_path / "out.exr"
    write_frame(out_path, frame, rgba=rgb, matte=matte, origin=box[:2])
    written = read_frame(out_path)
    assert written.channel_names == ("R", "G", "B", "A", "ghost.matte")
    untouched = matte == 0
    for name in ("R", "G", "B"):
        got, original = written.plane(name), frame.plane(name)
        assert got.dtype == np.float16
        assert np.array_equal(got[untouched].view(np.uint16), original[untouched].view(np.uint16))
    assert np.isnan(written.plane("R")[0, 0])
    assert np.array_equal(written.plane("ghost.matte"), matte.astype(np.float16))
    x, y, w, h = box
    changed = (matte_box > 0)[..., None] & np.isfinite(rgb)
    got = np.stack([written.plane(c)[y : y + h, x : x + w] for c in "RGB"], -1).astype(np.float32)
    np.testing.assert_allclose(got[changed], rgb[changed], rtol=1e-3, atol=1e-4)
