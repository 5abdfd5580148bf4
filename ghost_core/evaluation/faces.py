"""Per-frame face observations with the engine's own detector, alignment and landmarker.

The clip's most confident face is cut into GHOST's 224 crop (what the recogniser embeds) and its
dense landmarks are mapped back to frame pixels, where result and original can be compared point
for point whatever crop each one's detection produced.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ghost_core.console import progress
from ghost_core.evaluation.clips import Clip
from ghost_core.faces.align import estimate_norm, transform_points, warp_crop
from ghost_core.faces.detectors.base import Detector
from ghost_core.faces.landmarks import Landmarker


@dataclass(frozen=True)
class FaceObservation:
    """One frame's face: the aligned crop, dense landmarks in frame pixels and the detector score."""

    crop: np.ndarray
    points: np.ndarray
    score: float


def observe(
    clip: Clip, detector: Detector, landmarker: Landmarker, desc: str = "faces"
) -> list[FaceObservation | None]:
    """One observation per sampled frame (None where no face was found)."""
    found: list[FaceObservation | None] = []
    for image in progress(clip.images, total=len(clip), desc=desc, unit="frame"):
        faces = detector.detect(image)
        if not faces:
            found.append(None)
            continue
        alignment = estimate_norm(faces[0].kps)
        crop = warp_crop(image, alignment)
        marks = landmarker.landmarks(crop[None])[0]
        points = transform_points(alignment.inverse, marks.points).astype(np.float32)
        found.append(FaceObservation(crop, points, float(faces[0].score)))
    return found
