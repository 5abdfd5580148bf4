"""Head pose, expression and jitter from MediaPipe face-mesh landmarks in frame pixels.

Pose: cv2.solvePnP of six mesh points against a generic 3D head (the widely used nose / chin /
eye-corner / mouth-corner model, in millimetre-like units), pinhole camera with focal length = the
frame's larger side. The generic head biases absolute angles by a few degrees, but result and original
are measured the same way, so their difference (the metric) is what matters.

Expression: the result's mouth, eye and brow points after a similarity fit of its rigid points
(eye corners, nose bridge, temples) onto the original's, in units of the original's inter-ocular
distance, so a different face shape moves the score less than an open versus a closed mouth.

Jitter: mean landmark second difference (acceleration) per frame, also in inter-ocular units.
"""

from __future__ import annotations

import cv2
import numpy as np

from ghost_core.faces.align import similarity, transform_points

# Face-mesh indices; "left" is image-left (the subject's right), as in ghost_core.faces.landmarks.
NOSE_TIP, CHIN = 1, 152
LEFT_EYE_OUTER, LEFT_EYE_INNER, RIGHT_EYE_INNER, RIGHT_EYE_OUTER = 33, 133, 362, 263
LEFT_MOUTH, RIGHT_MOUTH = 61, 291
POSE_POINTS = (NOSE_TIP, CHIN, LEFT_EYE_OUTER, RIGHT_EYE_OUTER, LEFT_MOUTH, RIGHT_MOUTH)
# The same six points on a generic head: x right, y down, z away from the camera (nose tip at 0).
HEAD_3D = np.array(
    [
        [0.0, 0.0, 0.0],
        [0.0, 330.0, 65.0],
        [-225.0, -170.0, 135.0],
        [225.0, -170.0, 135.0],
        [-150.0, 150.0, 125.0],
        [150.0, 150.0, 125.0],
    ],
    np.float64,
)
RIGID_POINTS = (33, 133, 362, 263, 168, 6, 197, 195, 5, 4, 1, 127, 356, 234, 454)
LIPS = (
    61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291, 185, 40, 39, 37, 0, 267, 269, 270, 409,
    78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308, 191, 80, 81, 82, 13, 312, 311, 310, 415,
)  # fmt: skip
EYES = (
    33, 7, 163, 144, 145, 153, 154, 155, 133, 173, 157, 158, 159, 160, 161, 246,
    263, 249, 390, 373, 374, 380, 381, 382, 362, 398, 384, 385, 386, 387, 388, 466,
)  # fmt: skip
BROWS = (70, 63, 105, 66, 107, 55, 65, 52, 53, 46, 300, 293, 334, 296, 336, 285, 295, 282, 283, 276)
EXPRESSION_POINTS = LIPS + EYES + BROWS


def inter_ocular(points: np.ndarray) -> float:
    """Distance between the two eye centres (corner midpoints), in the points' units."""
    left = (points[LEFT_EYE_OUTER] + points[LEFT_EYE_INNER]) / 2
    right = (points[RIGHT_EYE_OUTER] + points[RIGHT_EYE_INNER]) / 2
    return float(np.linalg.norm(right - left))


def _euler(rotation: np.ndarray) -> np.ndarray:
    """Yaw (about y), pitch (about x), roll (about z) in degrees for R = Rz·Ry·Rx."""
    yaw = np.arcsin(np.clip(-rotation[2, 0], -1.0, 1.0))
    pitch = np.arctan2(rotation[2, 1], rotation[2, 2])
    roll = np.arctan2(rotation[1, 0], rotation[0, 0])
    return np.degrees([yaw, pitch, roll])


def head_pose(points: np.ndarray, width: int, height: int) -> np.ndarray:
    """(yaw, pitch, roll) in degrees of a face from its 468 mesh points in frame pixels."""
    image = np.asarray(points, np.float64)[list(POSE_POINTS)]
    focal = float(max(width, height))
    camera = np.array([[focal, 0, width / 2], [0, focal, height / 2], [0, 0, 1]], np.float64)
    ok, rvec, _ = cv2.solvePnP(HEAD_3D, image, camera, np.zeros(4), flags=cv2.SOLVEPNP_ITERATIVE)
    if not ok:
        return np.full(3, np.nan)
    rotation, _ = cv2.Rodrigues(rvec)
    return _euler(rotation)


def expression_error(result: np.ndarray, original: np.ndarray) -> float:
    """Mean distance of mouth/eye/brow points after a rigid-point similarity fit, in inter-ocular units."""
    rigid = list(RIGID_POINTS)
    matrix = similarity(result[rigid], original[rigid])
    moved = transform_points(matrix, result[list(EXPRESSION_POINTS)])
    error = np.linalg.norm(moved - original[list(EXPRESSION_POINTS)], axis=1).mean()
    return float(error / max(inter_ocular(original), 1e-6))


def jitter(points: list[np.ndarray | None]) -> np.ndarray:
    """Per frame: mean landmark acceleration |p[t+1] − 2p[t] + p[t−1]| / inter-ocular (NaN at the ends
    and next to frames without a face)."""
    out = np.full(len(points), np.nan)
    for t in range(1, len(points) - 1):
        a, b, c = points[t - 1], points[t], points[t + 1]
        if a is None or b is None or c is None:
            continue
        accel = np.linalg.norm(c - 2 * b + a, axis=1).mean()
        out[t] = accel / max(inter_ocular(b), 1e-6)
    return out
