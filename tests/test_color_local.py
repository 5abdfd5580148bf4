"""Local colour match: the swap takes the plate's low-frequency colour field, its own detail kept."""

from __future__ import annotations

import numpy as np
import pytest

from ghost_core.color import texture_path
from ghost_core.color_local import match_colour, match_skin_local
from ghost_core.color_match import to_oklab

SIZE = 96


def _disc_matte() -> np.ndarray:
    yy, xx = np.indices((SIZE, SIZE))
    r = np.hypot(yy - SIZE / 2, xx - SIZE / 2)
    return np.clip((40 - r) / 6, 0, 1).astype(np.float32)  # solid core, soft edge


def _gradient_plate() -> np.ndarray:
    """Skin lit from the left: warm and bright on one side, darker and cooler on the other."""
    t = np.linspace(0, 1, SIZE, dtype=np.float32)[None, :, None]
    lit, shade = np.array([0.9, 0.65, 0.5], np.float32), np.array([0.45, 0.33, 0.3], np.float32)
    return np.broadcast_to(lit * (1 - t) + shade * t, (SIZE, SIZE, 3)).copy()


def _textured(rgb: tuple[float, float, float], seed: int) -> np.ndarray:
    detail = 1 + 0.08 * np.random.default_rng(seed).standard_normal((SIZE, SIZE, 1))
    return np.clip(np.asarray(rgb, np.float32) * detail, 0, 1).astype(np.float32)


def test_local_match_moves_the_swap_onto_the_plates_colour_gradient() -> None:
    matte, plate = _disc_matte(), _gradient_plate()
    swap = _textured((0.6, 0.5, 0.45), 1)  # flat-lit swap
    out = match_skin_local(swap, plate, matte)
    core = matte >= 0.99
    cols = [slice(20, 30), slice(66, 76)]  # left (lit) and right (shade) side of the face
    for c in cols:
        want = to_oklab(plate)[30:66, c].mean((0, 1))
        got = to_oklab(out)[30:66, c].mean((0, 1))
        before = to_oklab(swap)[30:66, c].mean((0, 1))
        assert np.abs(got - want).max() < 0.02 < np.abs(before - want).max()
    # the global match cannot follow the light: one side stays off by much more
    glob = match_colour("global", 1.0, swap, plate, matte)
    off = [abs(to_oklab(glob)[30:66, c, 0].mean() - to_oklab(plate)[30:66, c, 0].mean()) for c in cols]
    assert max(off) > 0.05
    # the swap's own detail survives above the low-pass scale
    residual = to_oklab(out)[..., 0] - to_oklab(plate)[..., 0]
    own = to_oklab(swap)[..., 0]
    assert np.corrcoef(residual[core], own[core])[0, 1] > 0.9


def test_a_grey_swap_gets_the_plates_chroma() -> None:
    matte, plate = _disc_matte(), _gradient_plate()
    grey = _textured((0.55, 0.55, 0.55), 2)
    out = match_skin_local(grey, plate, matte)
    core = matte >= 0.99
    chroma = lambda img: np.hypot(*np.moveaxis(to_oklab(img)[core][:, 1:], -1, 0)).mean()  # noqa: E731
    assert chroma(grey) < 0.005
    assert 0.9 < chroma(out) / chroma(plate) < 1.1
    hue = to_oklab(out)[core][:, 1:].mean(0)
    want = to_oklab(plate)[core][:, 1:].mean(0)
    assert np.abs(hue - want).max() < 0.01


def test_non_skin_on_the_plate_does_not_leak_into_the_swap_skin() -> None:
    matte = _disc_matte()
    plate = _textured((0.8, 0.58, 0.46), 3)
    plate[40:50, 30:66] = (0.05, 0.3, 0.08)  # a green band across the plate face (not skin)
    swap = _textured((0.8, 0.58, 0.46), 4)
    out = match_skin_local(swap, plate, matte)
    near = to_oklab(out)[34:39, 30:66].mean((0, 1))  # skin just above the band
    want = to_oklab(plate)[25:35, 30:66].mean((0, 1))
    assert np.abs(near - want).max() < 0.02


def test_paste_back_adds_no_negatives_and_keeps_values_above_one() -> None:
    from ghost_core.composite import paste_face
    from ghost_core.faces.align import Alignment

    matte, seen = _disc_matte(), _gradient_plate()
    swap = _textured((0.1, 0.6, 0.9), 5)  # off-colour swap: the match pushes channels hard
    out_crop = match_skin_local(swap, seen, matte)
    path = texture_path()
    plate = path.from_model(seen).astype(np.float32)
    plate[10:20, 10:20] = (-0.02, 0.1, 0.2)  # the plate's own negatives
    plate[48, 48] = (12.0, 9.0, 7.0)  # a highlight the network saw as 1.0
    seen_view = np.clip(path.to_model(plate), 0, 1).astype(np.float32)
    identity = Alignment(np.array([[1, 0, 0], [0, 1, 0]], np.float64), pose=0, size=SIZE)
    pasted = paste_face(plate, out_crop, seen_view, identity, matte, path, 1.0)
    new_negative = (pasted.rgb < 0) & (plate >= 0)
    assert not new_negative.any()
    assert pasted.rgb.max() > 1.0


def test_strength_zero_and_too_little_skin_leave_the_swap_alone() -> None:
    matte, plate = _disc_matte(), _gradient_plate()
    swap = _textured((0.5, 0.5, 0.5), 6)
    assert np.array_equal(match_colour("local", 0.0, swap, plate, matte), swap)
    assert np.array_equal(match_skin_local(swap, plate, np.zeros_like(matte)), swap)
    with pytest.raises(ValueError, match=r"color\.mode"):
        match_colour("nearest", 1.0, swap, plate, matte)
    with pytest.raises(ValueError, match="local colour match"):
        match_skin_local(swap, plate, matte[:10])
