"""Small value types shared by the detectors, landmarkers, tracker, matte and swappers."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# The five key points every detector returns, in insightface order (image-left eye first).
KEYPOINT_NAMES = ("left_eye", "right_eye", "nose", "left_mouth", "right_mouth")


@dataclass(frozen=True)
class Detection:
    """One detected face in frame pixels: box (x0, y0, x1, y1), score 0..1, 5×2 key points."""

    box: np.ndarray
    score: float
    kps: np.ndarray

    def __post_init__(self) -> None:
        object.__setattr__(self, "box", np.asarray(self.box, np.float32).reshape(4))
        object.__setattr__(self, "kps", np.asarray(self.kps, np.float32).reshape(5, 2))


@dataclass(frozen=True)
class LandmarkLayout:
    """Which landmark indices play the roles GHOST's mask needs (GHOST_REFERENCE §1.10, §3.9).

    `brows[i]` is pushed away from `eyes[i]`; `jaw_left`/`jaw_right` measure how the swapped jaw
    line sits against the target's; `hull` (None = every point) outlines the face.
    """

    name: str
    count: int
    brows: tuple[int, ...]
    eyes: tuple[int, ...]
    jaw_left: tuple[int, ...]
    jaw_right: tuple[int, ...]
    hull: tuple[int, ...] | None = None


@dataclass(frozen=True)
class Landmarks:
    """Dense landmarks of one face in crop pixels, with the layout that names their roles."""

    points: np.ndarray
    layout: LandmarkLayout

    def __post_init__(self) -> None:
        pts = np.asarray(self.points, np.float32)
        if pts.shape != (self.layout.count, 2):
            raise ValueError(f"{self.layout.name}: expected {self.layout.count}×2 points, got {pts.shape}")
        object.__setattr__(self, "points", pts)
