"""The temporal filter on synthetic crops: follows motion, lets go where the plate changes, averages flicker.

The "swap" here is a fixed, content-bound restyling of the crop (what a generator does to a face:
its change depends on what is where), so the ideal filtered result of a frame is known exactly:
the frame's own restyled crop. Flicker is added on top where a test needs it.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from ghost_core.engine.temporal import TemporalSettings, blend

SIZE = 224
FILTER = TemporalSettings(strength=1.0, window=2, motion=0.02, hold=0.002)


def texture(seed: int = 0) -> np.ndarray:
    """A face-sized canvas with blobs and edges at several scales (0.15..0.85)."""
    rng = np.random.default_rng(seed)
    canvas = np.zeros((SIZE + 64, SIZE + 64, 3), np.float32)
    for sigma, amount in ((12.0, 0.5), (4.0, 0.3), (1.5, 0.2)):
        noise = rng.standard_normal(canvas.shape).astype(np.float32)
        blurred = cv2.GaussianBlur(noise, (0, 0), sigma)
        canvas += amount * blurred / blurred.std()
    return np.clip(0.5 + 0.12 * canvas, 0.15, 0.85)


def at(canvas: np.ndarray, dx: float, dy: float = 0.0) -> np.ndarray:
    """The 224 crop of `canvas` moved by (dx, dy) px (subpixel, bilinear)."""
    m = np.float32([[1, 0, 32 - dx], [0, 1, 32 - dy]])
    return cv2.warpAffine(canvas, m, (SIZE, SIZE), flags=cv2.INTER_LINEAR)


def restyle(crop: np.ndarray) -> np.ndarray:
    """A deterministic swap: contrast, tint and a texture-bound pattern, all following the content."""
    styled = 0.2 + 0.7 * crop + 0.08 * np.sin(crop * 25.0) + [0.03, -0.02, 0.0]
    return np.clip(styled, 0, 1).astype(np.float32)


def flickering(crop: np.ndarray, rng: np.random.Generator, amount: float) -> np.ndarray:
    return np.clip(restyle(crop) + amount * rng.standard_normal(crop.shape), 0, 1).astype(np.float32)


def naive_average(
    crop: np.ndarray, swap: np.ndarray, older: list[tuple[np.ndarray, np.ndarray]]
) -> np.ndarray:
    """A filter without motion compensation or gate: the smear the real one must avoid."""
    residuals = [swap - crop, *[s - c for c, s in older]]
    return np.clip(crop + np.mean(residuals, axis=0), 0, 1)


def inner(image: np.ndarray) -> np.ndarray:
    """Away from the crop border, where a moved frame has no earlier content to carry."""
    return image[24:-24, 24:-24]


@pytest.mark.parametrize("speed", [1.2, 3.5])
def test_moving_face_is_not_smeared(speed: float) -> None:
    """Earlier swaps are carried along the plate's motion: the result stays the frame's own swap."""
    canvas = texture()
    crops = [at(canvas, speed * t, 0.6 * speed * t) for t in range(3)]  # px per frame, diagonal
    swaps = [restyle(c) for c in crops]
    older = [(crops[1], swaps[1]), (crops[0], swaps[0])]
    filtered = blend(crops[2], swaps[2], older, FILTER)
    smeared = naive_average(crops[2], swaps[2], older)
    error = float(np.abs(inner(filtered - swaps[2])).mean())
    smear = float(np.abs(inner(smeared - swaps[2])).mean())
    assert smear > 0.01, "the test motion must be large enough that ignoring it shows"
    assert error < 0.25 * smear, (error, smear)
    assert error < 0.004, error


def test_filter_lets_go_where_the_plate_changes() -> None:
    canvas = texture(1)
    crops = [at(canvas, 0.0) for _ in range(3)]
    crops[2] = crops[2].copy()
    crops[2][80:140, 90:150] = 0.95  # something new covers part of the face on this frame only
    rng = np.random.default_rng(2)
    swaps = [flickering(c, rng, 0.02) for c in crops]
    filtered = blend(crops[2], swaps[2], [(crops[1], swaps[1]), (crops[0], swaps[0])], FILTER)
    covered = (slice(90, 130), slice(100, 140))  # inside the new patch, clear of the gate's blur
    np.testing.assert_allclose(filtered[covered], swaps[2][covered], atol=2e-3)
    still = (slice(30, 70), slice(30, 200))
    assert np.abs(filtered[still] - swaps[2][still]).mean() > 0.005, "the still part must be filtered"


def test_flicker_on_a_still_face_is_averaged() -> None:
    canvas = texture(3)
    rng = np.random.default_rng(4)
    crop = at(canvas, 0.0)
    swaps = [flickering(crop, rng, 0.03) for _ in range(6)]
    clean = restyle(crop)
    raw, out = [], []
    for t in range(2, 6):
        older = [(crop, swaps[t - 1]), (crop, swaps[t - 2])]
        raw.append(np.abs(inner(swaps[t] - clean)).mean())
        out.append(np.abs(inner(blend(crop, swaps[t], older, FILTER) - clean)).mean())
    assert np.mean(out) < 0.7 * np.mean(raw), (np.mean(out), np.mean(raw))  # 3 frames: about 1/sqrt(3)


def test_strength_zero_changes_nothing() -> None:
    crop = at(texture(5), 0.0)
    swap = restyle(crop)
    off = TemporalSettings(strength=0.0, window=2, motion=0.02, hold=0.0)
    older = [(crop, np.clip(swap + 0.1, 0, 1))]
    np.testing.assert_allclose(blend(crop, swap, older, off), swap, atol=1e-6)


def test_the_filter_is_on_by_default_for_morph_only() -> None:
    from types import SimpleNamespace

    def knobs(strength: float | None) -> SimpleNamespace:
        return SimpleNamespace(
            temporal_strength=strength, temporal_window=2, temporal_motion=0.02, temporal_hold=0.0
        )

    assert TemporalSettings.of(knobs(None), "morph").filtering
    assert TemporalSettings.of(knobs(None), "morph").strength == 1.0
    assert not TemporalSettings.of(knobs(None), "ghost").filtering
    assert not TemporalSettings.of(knobs(0.0), "morph").filtering, "an explicit 0 turns it off"
    assert TemporalSettings.of(knobs(0.5), "ghost").strength == 0.5
