"""GHOST's key-point smoothing (GHOST_REFERENCE §3.6), checked against hand-computed numbers."""

from __future__ import annotations

import numpy as np
import pytest

from ghost_core.faces.smoothing import NO_FACE, smooth_keypoints, smoothing_segments

BASE = np.array([[40.0, 50.0], [70.0, 50.0], [55.0, 65.0], [43.0, 80.0], [67.0, 80.0]])


def shifted(dx: float, dy: float = 0.0, point: int | None = None) -> np.ndarray:
    """BASE moved by (dx, dy): every point, or only `point`."""
    out = BASE.copy()
    if point is None:
        out += (dx, dy)
    else:
        out[point] += (dx, dy)
    return out


def test_window_radius_follows_segment_position() -> None:
    xs = [0.0, 1.0, 3.0, 2.0, 4.0, 4.0]  # steps below 5 px: one segment of six frames
    smoothed, ids = smooth_keypoints([shifted(x) for x in xs], holds=False)  # GHOST's own numbers
    assert ids == [0] * 6
    # radius q = min(i, 5 - i, 2) → 0, 1, 2, 2, 1, 0
    expected = [0.0, 4 / 3, 2.0, 14 / 5, 10 / 3, 4.0]
    for got, dx in zip(smoothed, expected, strict=True):
        np.testing.assert_allclose(got, shifted(dx), rtol=0, atol=1e-12)
    np.testing.assert_array_equal(smoothed[0], shifted(0.0))  # first and last frames untouched
    np.testing.assert_array_equal(smoothed[-1], shifted(4.0))


def test_six_pixel_jump_splits_and_each_part_is_smoothed_alone() -> None:
    xs = [0.0, 2.0, 1.0, 7.0, 8.0, 6.0]  # 1 → 7 is a 6 px jump
    smoothed, ids = smooth_keypoints([shifted(x) for x in xs])
    assert ids == [0, 0, 0, 1, 1, 1]
    expected = [0.0, 1.0, 1.0, 7.0, 7.0, 6.0]  # middle frames: mean of three within their own part
    for got, dx in zip(smoothed, expected, strict=True):
        np.testing.assert_allclose(got, shifted(dx), rtol=0, atol=1e-12)


def test_jump_threshold_is_strict_euclidean_on_left_eye_and_nose_only() -> None:
    exactly_five = [BASE, shifted(3.0, 4.0, point=0)]  # 3-4-5 triangle: not more than 5 px
    assert smoothing_segments(exactly_five) == [0, 0]
    assert smoothing_segments([BASE, shifted(3.6, 4.8, point=0)]) == [0, 1]  # 6 px on the left eye
    assert smoothing_segments([BASE, shifted(0.0, 6.0, point=2)]) == [0, 1]  # nose
    assert smoothing_segments([BASE, shifted(20.0, 0.0, point=1)]) == [0, 0]  # right eye is ignored
    # The thresholds are parameters.
    assert smoothing_segments([BASE, shifted(3.0, 4.0, point=0)], jump_px=4.0) == [0, 1]
    assert smoothing_segments([BASE, shifted(20.0, 0.0, point=1)], jump_points=(1,)) == [0, 1]


def test_missing_face_splits_and_stays_none() -> None:
    seq = [shifted(0.0), shifted(3.0), None, shifted(1.0), shifted(2.0), shifted(4.0)]
    smoothed, ids = smooth_keypoints(seq)
    assert ids == [0, 0, NO_FACE, 1, 1, 1]
    assert smoothed[2] is None
    np.testing.assert_array_equal(smoothed[0], shifted(0.0))  # a two-frame segment is not smoothed
    np.testing.assert_array_equal(smoothed[1], shifted(3.0))
    np.testing.assert_allclose(smoothed[4], shifted(7 / 3), rtol=0, atol=1e-12)


@pytest.mark.parametrize("radius", [0, 1])
def test_radius_parameter(radius: int) -> None:
    xs = [0.0, 1.0, 3.0, 2.0, 4.0]
    smoothed, _ = smooth_keypoints([shifted(x) for x in xs], radius=radius)
    middle = 3.0 if radius == 0 else 2.0  # frame 2: itself, or the mean of 1, 3, 2
    np.testing.assert_allclose(smoothed[2], shifted(middle), rtol=0, atol=1e-12)


def test_empty_and_all_missing() -> None:
    assert smooth_keypoints([]) == ([], [])
    assert smooth_keypoints([None, None]) == ([None, None], [NO_FACE, NO_FACE])


def test_held_frames_share_their_smoothed_points() -> None:
    """A repeated plate frame (same raw points) gets its twin's smoothed points, so the swap cannot jump."""
    xs = [0.0, 1.0, 3.0, 3.0, 2.0, 4.0]
    smoothed, _ = smooth_keypoints([shifted(x) for x in xs])
    np.testing.assert_array_equal(smoothed[2], smoothed[3])
