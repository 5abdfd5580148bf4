"""A short synthetic track with a bar across both eyes on one frame whose landmarks it dragged.

An occluder over both eyes moves every landmark a regressor gives (6-10 crop px on the test
shots), which the occlusion estimate's pixel registration (`occlusion.registered`) undoes. One
case, built here, is what `tests/test_occlusion.py` proves and what `benchmarks/quality.py
--only occlusion` times, so the figure and the test are about the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ghost_core.faces.landmarks import Landmarker
from ghost_core.faces.types import Landmarks

MOVES = [(0, 0, 1), (2, -1, 0.95), (-2, 1, 1.05), (1, 2, 1), (-1, -2, 0.9)]  # (dx, dy, light) per frame
BAR_COLOUR = (0.15, 0.35, 0.75)
DRAG = (6.0, -5.0)  # crop px the bar moves the covered frame's landmarks
COVERED = 3  # the frame of MOVES that the bar covers


def shifted(crop: np.ndarray, dx: float, dy: float, light: float) -> np.ndarray:
    """A 224 crop moved by (dx, dy) px and lit `light` times brighter (clipped to 0..1)."""
    m = np.array([[1.0, 0.0, dx], [0.0, 1.0, dy]])
    moved = cv2.warpAffine(crop, m, (224, 224), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    return np.clip(moved * light, 0.0, 1.0)


def moved(face: np.ndarray) -> list[np.ndarray]:
    """Five frames of one face, moved by a pixel or two and lit a little differently (MOVES)."""
    return [shifted(face, dx, dy, g) for dx, dy, g in MOVES]


@dataclass(frozen=True)
class DraggedBar:
    frames: list[np.ndarray]  # the track; frames[COVERED] has the bar
    bar: np.ndarray  # 224×224 bool: where the bar is
    marks: list[Landmarks]  # landmarks of the clean frames (the truth)

    def dragged(self, i: int) -> Landmarks:
        """Frame i's landmarks moved by DRAG, as the bar moves them."""
        return Landmarks(self.marks[i].points + np.float32(DRAG), self.marks[i].layout)


def dragged_bar(face: np.ndarray, landmarker: Landmarker) -> DraggedBar:
    """The case for one aligned 224 face (model-space float RGB, 0..1)."""
    clean = moved(face)
    bar = np.zeros((224, 224), np.uint8)
    cv2.line(bar, (40, 70), (190, 130), 1, 22)
    covered = clean[COVERED].copy()
    covered[bar > 0] = BAR_COLOUR
    frames = [*clean[:COVERED], covered, *clean[COVERED + 1 :]]
    return DraggedBar(frames, bar > 0, landmarker.landmarks(np.stack(clean)))
