"""Blending the swapped face back over the plate in scene-linear light."""

from __future__ import annotations

import numpy as np


def composite(plate: np.ndarray, face: np.ndarray, matte: np.ndarray) -> np.ndarray:
    """Linear-light mix by the matte: exactly `plate` where it is 0, exactly `face` where it is 1.

    The ends are copied, not computed, so Inf or NaN on one side never leaks into the other.
    Outside the face the writer keeps the plate's own bits anyway.
    """
    weight = np.asarray(matte, np.float32)[..., None]
    with np.errstate(invalid="ignore", over="ignore"):
        out = (plate * (1.0 - weight) + face * weight).astype(np.float32, copy=False)
    np.copyto(out, face, where=weight >= 1.0)
    np.copyto(out, plate, where=weight <= 0.0)
    return out
