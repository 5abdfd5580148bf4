"""Head pose, expression and jitter on landmarks whose truth is known by construction."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from ghost_core.evaluation.geometry import (
    EXPRESSION_POINTS,
    HEAD_3D,
    LIPS,
    POSE_POINTS,
    expression_error,
    head_pose,
    inter_ocular,
    jitter,
)

W, H = 640, 480
rng = np.random.default_rng(3)
# A plausible mesh: random points round the face, then the six pose points where the head puts them.
BASE = rng.normal([320, 240], 40, size=(468, 2))


def rotation(yaw: float, pitch: float, roll: float) -> np.ndarray:
    y, p, r = np.radians([yaw, pitch, roll])
    rx = np.array([[1, 0, 0], [0, np.cos(p), -np.sin(p)], [0, np.sin(p), np.cos(p)]])
    ry = np.array([[np.cos(y), 0, np.sin(y)], [0, 1, 0], [-np.sin(y), 0, np.cos(y)]])
    rz = np.array([[np.cos(r), -np.sin(r), 0], [np.sin(r), np.cos(r), 0], [0, 0, 1]])
    return rz @ ry @ rx


def projected(yaw: float, pitch: float, roll: float) -> np.ndarray:
    focal = float(max(W, H))
    camera = np.array([[focal, 0, W / 2], [0, focal, H / 2], [0, 0, 1]])
    rvec, _ = cv2.Rodrigues(rotation(yaw, pitch, roll))
    image, _ = cv2.projectPoints(HEAD_3D, rvec, np.array([0.0, 0.0, 2500.0]), camera, np.zeros(4))
    points = BASE.copy()
    points[list(POSE_POINTS)] = image.reshape(-1, 2)
    return points


@pytest.mark.parametrize("angles", [(0, 0, 0), (25, 0, 0), (0, -15, 0), (0, 0, 20), (-30, 10, -8)])
def test_head_pose_recovers_known_angles(angles: tuple[float, float, float]) -> None:
    np.testing.assert_allclose(head_pose(projected(*angles), W, H), angles, atol=0.5)


def test_yaw_sign_follows_the_head_turn() -> None:
    left, right = head_pose(projected(20, 0, 0), W, H), head_pose(projected(-20, 0, 0), W, H)
    assert left[0] > 10 and right[0] < -10


def test_expression_error_ignores_similarity_and_sees_an_open_mouth() -> None:
    points = BASE.copy()
    theta = np.radians(12)
    moved = 1.3 * points @ np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]]).T + 50
    assert expression_error(moved, points) < 1e-6
    opened = moved.copy()
    opened[list(LIPS[:10])] += [0.0, 0.3 * inter_ocular(moved)]
    error = expression_error(opened, points)
    # The fit undoes the 1.3 scale, so 0.3 inter-ocular of the moved face is 0.3 of the original's.
    expected = 0.3 * 10 / len(EXPRESSION_POINTS)
    assert error == pytest.approx(expected, rel=0.05)


def test_jitter_is_zero_for_steady_motion_and_grows_with_shake() -> None:
    steady = [BASE + t * np.array([3.0, -1.0]) for t in range(8)]
    assert np.nanmax(jitter(steady)) < 1e-9
    shaky = [p + rng.normal(0, 2.0, p.shape) for p in steady]
    values = jitter(shaky)
    assert np.isnan(values[0]) and np.isnan(values[-1])
    assert np.nanmin(values) > 0.01
    gap = jitter([*steady[:3], None, *steady[4:]])
    assert np.isnan(gap[2:5]).all() and np.isfinite(gap[1])
