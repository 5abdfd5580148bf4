"""Skin colour match: a grey or off-colour swap takes the plate face's colour, detail kept."""

from __future__ import annotations

import numpy as np

from ghost_core.color_match import from_oklab, match_skin, to_oklab


def _face(rgb: tuple[float, float, float], seed: int, size: int = 64) -> np.ndarray:
    rng = np.random.default_rng(seed)
    shading = 0.8 + 0.2 * rng.random((size, size, 1))
    return np.clip(np.asarray(rgb, np.float32) * shading, 0, 1).astype(np.float32)


def _chroma(model: np.ndarray, weight: np.ndarray) -> tuple[float, float, float]:
    lab = to_oklab(model)[weight > 0]
    return float(lab[:, 0].mean()), float(np.hypot(lab[:, 1], lab[:, 2]).mean()), float(lab[:, 1].mean())


def test_oklab_round_trip_is_exact_enough() -> None:
    rgb = np.random.default_rng(0).random((32, 32, 3))
    assert np.abs(from_oklab(to_oklab(rgb)) - rgb).max() < 1e-6


def test_a_grey_swap_takes_the_plate_skin_colour_and_keeps_its_shading() -> None:
    weight = np.zeros((64, 64), np.float32)
    weight[8:56, 8:56] = 1.0
    plate = _face((0.85, 0.6, 0.45), seed=1)
    grey = _face((0.55, 0.55, 0.55), seed=2)
    out = match_skin(grey, plate, weight)
    lightness, chroma, a = _chroma(out, weight)
    want_l, want_c, want_a = _chroma(plate, weight)
    assert abs(lightness - want_l) < 0.01
    assert 0.9 < chroma / want_c < 1.1
    assert abs(a - want_a) < 0.01
    # the swap's own detail survives: the result follows the grey face's shading, not the plate's
    inside = weight > 0
    corr_own = np.corrcoef(out[..., 1][inside], grey[..., 1][inside])[0, 1]
    corr_plate = np.corrcoef(out[..., 1][inside], plate[..., 1][inside])[0, 1]
    assert corr_own > 0.95 > corr_plate


def test_strength_zero_and_too_little_skin_leave_the_swap_alone() -> None:
    swap, plate = _face((0.5, 0.5, 0.5), 3), _face((0.9, 0.5, 0.4), 4)
    full = np.ones((64, 64), np.float32)
    assert np.array_equal(match_skin(swap, plate, full, strength=0.0), swap)
    tiny = np.zeros((64, 64), np.float32)
    tiny[0, :4] = 1.0
    assert np.array_equal(match_skin(swap, plate, tiny), swap)


def test_matching_a_face_to_itself_changes_nothing_and_stays_in_range() -> None:
    plate = _face((0.8, 0.55, 0.4), 5)
    weight = np.ones((64, 64), np.float32)
    assert np.abs(match_skin(plate, plate, weight) - plate).max() < 1e-5
    hot = match_skin(_face((0.2, 0.2, 0.2), 6), _face((1.0, 0.95, 0.9), 7), weight)
    assert hot.min() >= 0.0 and hot.max() <= 1.0 and hot.dtype == np.float32
