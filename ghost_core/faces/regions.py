"""Face regions (brows, eyes, nose, mouth interior, skin) as crop-space masks from dense landmarks.

Region mattes let a compositor grade or hold back one part of the swapped face; the occlusion
estimate also needs them, to leave the features out of its skin statistics. Each region is the
filled convex hull of a set of points per landmark model; `skin` is the face hull without the
brows, eyes and mouth. Masks are float32 0..1 in the 224 crop, drawn without anti-aliasing so
they are exact and cheap (the paste into the frame is area-filtered).
"""

from __future__ import annotations

import cv2
import numpy as np

from ghost_core.faces.align import CROP_SIZE
from ghost_core.faces.types import Landmarks

REGIONS = ("skin", "brows", "eyes", "nose", "mouth")

# MediaPipe face mesh (468): eye contours, brow outlines, inner lip line, nose bridge to nostrils.
_MESH: dict[str, tuple[tuple[int, ...], ...]] = {
    "eyes": (
        (33, 246, 161, 160, 159, 158, 157, 173, 133, 155, 154, 153, 145, 144, 163, 7),
        (263, 466, 388, 387, 386, 385, 384, 398, 362, 382, 381, 380, 374, 373, 390, 249),
    ),
    "brows": (
        (70, 63, 105, 66, 107, 55, 65, 52, 53, 46),
        (300, 293, 334, 296, 336, 285, 295, 282, 283, 276),
    ),
    "mouth": ((78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308, 324, 318, 402, 317, 14, 87, 178, 88, 95),),
    "nose": ((168, 193, 417, 122, 351, 196, 419, 129, 358, 98, 327, 2, 64, 294, 48, 278, 1, 4),),
}

# insightface 2d106det: 33-42 / 87-96 eyes, 43-51 / 97-105 brows, 52-71 mouth, 72-86 nose.
_R106: dict[str, tuple[tuple[int, ...], ...]] = {
    "eyes": (tuple(range(33, 43)), tuple(range(87, 97))),
    "brows": (tuple(range(43, 52)), tuple(range(97, 106))),
    "mouth": (tuple(range(52, 72)),),  # inner lip: the mouth points that are not on its outer hull
    "nose": (tuple(range(72, 87)),),
}

POINT_SETS = {"face_mesh_468": _MESH, "insightface_106": _R106}

# The outer lip line (the whole lips), for keeping the plate's lips with `keep_expression lips`; on
# 2d106det the hull of all its mouth points is that line.
OUTER_LIPS = {
    "face_mesh_468": (61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291, 375, 321, 405, 314, 17, 84, 181, 91,
                      146),
    "insightface_106": tuple(range(52, 72)),
}  # fmt: skip


def _inner_points(points: np.ndarray) -> np.ndarray:
    """Mouth points strictly inside the outer lip hull: the inner lip line (2d106det names no order)."""
    hull = set(cv2.convexHull(points.astype(np.float32), returnPoints=False).reshape(-1).tolist())
    inner = np.array([p for i, p in enumerate(points) if i not in hull], np.float32)
    return inner if len(inner) >= 3 else points


def _fill(mask: np.ndarray, points: np.ndarray) -> None:
    if len(points) >= 3:
        hull = cv2.convexHull(np.round(points).astype(np.int32).reshape(-1, 1, 2))
        cv2.fillConvexPoly(mask, hull, 1.0)


def region_masks(landmarks: Landmarks, size: int = CROP_SIZE) -> dict[str, np.ndarray]:
    """Every region of `REGIONS` as a size×size float32 mask (empty when the layout names no points)."""
    sets = POINT_SETS.get(landmarks.layout.name, {})
    points = landmarks.points
    masks = {name: np.zeros((size, size), np.float32) for name in REGIONS}
    for name, polygons in sets.items():
        for index in polygons:
            chosen = points[list(index)]
            if name == "mouth" and landmarks.layout.name == "insightface_106":
                chosen = _inner_points(chosen)
            _fill(masks[name], chosen)
    hull_index = landmarks.layout.hull
    _fill(masks["skin"], points if hull_index is None else points[list(hull_index)])
    features = np.maximum(np.maximum(masks["brows"], masks["eyes"]), masks["mouth"])
    masks["skin"] *= 1.0 - features
    return masks


EXPRESSION_REGIONS = ("eyes", "mouth")  # what makes the target's expression: eye openings, inner mouth
# The hold-out stays solid this far past each region's edge (224-crop pixels). The mouth's margin is
# wider: with 3 px the swapped lips start right at the plate's inner-lip edge, and both landmarkers
# (mesh, dlib) then read the opening 17-35 % small on held-out photos although its pixels are the plate's.
EXPRESSION_GROW = {"eyes": 3.0, "mouth": 6.0}
EXPRESSION_FEATHER = 4.0  # then fades to 0 over this width
LIPS_GROW = 2.0  # `lips`: solid this far past the outer lip line (the plate's own lip edge), then the feather


def expression_holdout(landmarks: Landmarks, size: int = CROP_SIZE, lips: bool = False) -> np.ndarray:
    """The plate's eye openings and inner mouth as a feathered size×size float32 hold-out matte.

    Exactly 1 on each region and its `EXPRESSION_GROW` pixels past it (so the plate's own pixels come
    back bit for bit there, even on a thin closed-eye slit, which a blur would dim; the margin keeps the
    plate's own lid and inner-lip edge, where the landmark contour sits), then falling smoothly to 0
    over `EXPRESSION_FEATHER` pixels by distance; float work on this crop alone, so it depends on no
    other face or frame. With `lips` the whole lips (outer lip line, `LIPS_GROW` past it) are kept as
    well: the plate's lip performance comes back, not only its teeth and tongue.
    """
    masks = region_masks(landmarks, size)
    grow = dict(EXPRESSION_GROW)
    names: tuple[str, ...] = EXPRESSION_REGIONS
    outer = OUTER_LIPS.get(landmarks.layout.name)
    if lips and outer is not None:
        masks["lips"] = np.zeros((size, size), np.float32)
        _fill(masks["lips"], landmarks.points[list(outer)])
        grow["lips"], names = LIPS_GROW, (*names, "lips")
    scale = size / CROP_SIZE
    kept = np.zeros((size, size), np.float32)
    for name in names:
        if not masks[name].any():
            continue
        outside = (masks[name] == 0).astype(np.uint8)
        distance = cv2.distanceTransform(outside, cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
        t = np.clip(1.0 - (distance - grow[name] * scale) / (EXPRESSION_FEATHER * scale), 0.0, 1.0)
        kept = np.maximum(kept, (t * t * (3.0 - 2.0 * t)).astype(np.float32))  # smoothstep: no kink at 0 or 1
    return kept
