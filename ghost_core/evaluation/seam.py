"""Seam at the matte's edge, as a compositor sees it: swapped skin just inside vs plate just outside.

A mean-colour figure over the whole face (quality.py's dE_ring) cannot tell a swap that meets the
plate all around its edge from one that is right on average but too warm on the lit cheek and too
cold on the shadow side. Here the matte's edge (its outermost 0.5 contour) is cut into angular
sectors around the face's centre; in each, the mean colour of the output in a thin band just
inside the edge is compared (CIEDE2000) with the plate's in the adjacent band just outside it,
both only where the plate is skin (hair, background and collars are not what the face must
meet), and the sectors are averaged. The plate scored against itself is about 0 by construction
(the bands touch); what is left is the shot's own light change across two band depths.
"""

from __future__ import annotations

import cv2
import numpy as np

from ghost_core.evaluation.colour import ciede2000

SECTORS = 16
EDGE = 0.5  # the matte's edge: its outermost 0.5 contour in each sector (holes for eyes/mouth are inside)
BAND = 0.03  # depth of the band on either side of the edge, as a fraction of the face's radius
SKIN_DE = 15.0  # a band pixel counts where the plate is within this dE of the plate face's mean
SOLID = 0.99  # the plate face's mean is taken under the matte's solid interior
MIN_PIXELS = 8  # per band and sector


def _filled(covered: np.ndarray) -> np.ndarray:
    """`covered` with its holes (kept eyes and mouth, occluders) filled: only the outer edge is left."""
    outside = np.ones((covered.shape[0] + 2, covered.shape[1] + 2), np.uint8)
    outside[1:-1, 1:-1] = ~covered
    flood = np.zeros((outside.shape[0] + 2, outside.shape[1] + 2), np.uint8)
    cv2.floodFill(outside, flood, (0, 0), 2)
    return outside[1:-1, 1:-1] != 2


def _sector_bands(matte: np.ndarray, keep: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """(inner, outer) pixel masks per usable sector: adjacent bands either side of the edge."""
    face = _filled(matte >= EDGE)
    ys, xs = np.nonzero(matte >= SOLID)
    cy, cx = ys.mean(), xs.mean()
    radius = np.sqrt(face.sum() / np.pi)
    depth = max(2.0, BAND * float(radius))
    inside = cv2.distanceTransform(face.astype(np.uint8), cv2.DIST_L2, 5)
    outside = cv2.distanceTransform((~face).astype(np.uint8), cv2.DIST_L2, 5)
    yy, xx = np.indices(matte.shape)
    sector = ((np.arctan2(yy - cy, xx - cx) + np.pi) / (2 * np.pi) * SECTORS).astype(int) % SECTORS
    inner_band = face & (inside <= depth) & keep
    outer_band = ~face & (outside <= depth) & keep
    bands = []
    for s in range(SECTORS):
        inner, outer = inner_band & (sector == s), outer_band & (sector == s)
        if inner.sum() >= MIN_PIXELS and outer.sum() >= MIN_PIXELS:
            bands.append((inner, outer))
    return bands


def seam_de(plate_lab: np.ndarray, out_lab: np.ndarray, matte: np.ndarray) -> dict[str, float]:
    """Mean per-sector dE of the output inside the edge vs the plate outside it, and the plate's own.

    `plate_lab`, `out_lab`: CIE L*a*b* (H×W×3) of the sRGB views; `matte`: the final matte (H×W).
    Returns `seam` (the output), `seam_plate` (the plate against itself: the floor) and `sectors`.
    """
    if plate_lab.shape != out_lab.shape or plate_lab.shape[:2] != matte.shape:
        raise ValueError(f"seam: plate {plate_lab.shape}, output {out_lab.shape}, matte {matte.shape} differ")
    nan = float("nan")
    solid = matte >= SOLID
    if solid.sum() < MIN_PIXELS:
        return {"seam": nan, "seam_plate": nan, "sectors": 0}
    keep = ciede2000(plate_lab, plate_lab[solid].mean(0)) < SKIN_DE
    bands = _sector_bands(matte, keep)
    if not bands:
        return {"seam": nan, "seam_plate": nan, "sectors": 0}
    swap = [float(ciede2000(out_lab[i].mean(0), plate_lab[o].mean(0))) for i, o in bands]
    own = [float(ciede2000(plate_lab[i].mean(0), plate_lab[o].mean(0))) for i, o in bands]
    return {"seam": float(np.mean(swap)), "seam_plate": float(np.mean(own)), "sectors": len(bands)}
