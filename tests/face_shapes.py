"""A hand-made landmark layout and face shape in the 224 crop, shared by the matte and composite tests."""

from __future__ import annotations

import numpy as np

from ghost_core.faces.types import LandmarkLayout, Landmarks

# 0..10 jaw from the image-left cheek round the chin to the image-right cheek, 11..16 brows
# (left then right), 17..22 the upper eye arcs paired with them, 23 the nose tip.
TOY_LAYOUT = LandmarkLayout(
    name="toy24",
    count=24,
    brows=(11, 12, 13, 14, 15, 16),
    eyes=(17, 18, 19, 20, 21, 22),
    jaw_left=(1, 2, 3),
    jaw_right=(9, 8, 7),
)
CENTRE = (112.0, 120.0)


def toy_points(width: float = 70.0, height: float = 85.0) -> np.ndarray:
    """A frontal face: jaw on a half ellipse, brows above the eyes (crop pixels, float)."""
    angles = np.pi - np.arange(11) * np.pi / 10
    jaw = np.stack([CENTRE[0] + width * np.cos(angles), CENTRE[1] + height * np.sin(angles)], -1)
    brows = [(72, 78), (85, 72), (98, 74), (126, 74), (139, 72), (152, 78)]
    eyes = [(74, 92), (86, 88), (98, 92), (126, 92), (138, 88), (150, 92)]
    return np.concatenate([jaw, np.array(brows + eyes + [(112, 130)], np.float64)]).astype(np.float32)


def toy_face(width: float = 70.0, height: float = 85.0) -> Landmarks:
    return Landmarks(toy_points(width, height), TOY_LAYOUT)
