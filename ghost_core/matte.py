"""GHOST's feathered face matte in the 224 crop, and its anti-aliased paste into the frame.

The shape follows GHOST's `face_mask_static` (GHOST_REFERENCE §3.9): convex hull of the swapped
face's landmarks with the brows lifted, eroded or dilated by how the swapped jaw sits against the
target's, a zero border band, then a Gaussian feather. It is built in float (no 8-bit steps) so
the feather is smooth in linear-light compositing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import cv2
import numpy as np

from ghost_core.errors import UsageError
from ghost_core.faces import warp_device
from ghost_core.faces.align import CROP_SIZE
from ghost_core.faces.types import Landmarks

Box = tuple[int, int, int, int]  # x, y, width, height in frame pixels

# Supersampling above this factor buys nothing visible for a matte and costs f² work.
MAX_SUPERSAMPLE = 8


@dataclass(frozen=True)
class MaskParams:
    """How the hull becomes a matte: `erode` px square kernel (negative = dilate), feather σ, brow lift."""

    erode: int
    sigma_x: float
    sigma_y: float
    brow_factor: float

    @property
    def border(self) -> int:
        """Width of the zero band on every side: 2·σy (GHOST), so the feather never reaches the crop edge."""
        return int(np.rint(2.0 * self.sigma_y))

    @property
    def kernel_size(self) -> tuple[int, int]:
        """Gaussian kernel (width, height) as OpenCV derives it for GHOST's uint8 mask."""
        return gaussian_kernel_size(self.sigma_x), gaussian_kernel_size(self.sigma_y)


@dataclass(frozen=True)
class MaskOverrides:
    """User adjustments on top of GHOST's table; None keeps the table's value.

    `sigma_x`/`sigma_y` replace the feather, `feather_scale` then multiplies it (and so the border
    band); `brow_factor` replaces the brow lift.
    """

    erode: int | None = None
    feather_scale: float | None = None
    sigma_x: float | None = None
    sigma_y: float | None = None
    brow_factor: float | None = None

    def apply(self, params: MaskParams) -> MaskParams:
        for name in ("feather_scale", "sigma_x", "sigma_y"):
            value = getattr(self, name)
            if value is not None and not (np.isfinite(value) and value >= 0):
                raise UsageError(f"mask override {name}={value}: must be a number >= 0 (0 = no feather)")
        if self.brow_factor is not None and not np.isfinite(self.brow_factor):
            raise UsageError(f"mask override brow_factor={self.brow_factor}: must be a finite number")
        scale = 1.0 if self.feather_scale is None else float(self.feather_scale)
        sigma_x = params.sigma_x if self.sigma_x is None else float(self.sigma_x)
        sigma_y = params.sigma_y if self.sigma_y is None else float(self.sigma_y)
        return replace(
            params,
            erode=params.erode if self.erode is None else int(self.erode),
            sigma_x=sigma_x * scale,
            sigma_y=sigma_y * scale,
            brow_factor=params.brow_factor if self.brow_factor is None else float(self.brow_factor),
        )


def gaussian_kernel_size(sigma: float) -> int:
    """OpenCV's size for 8-bit images, round(6σ+1) made odd (91/61/31 for σ 15/10/5); 1 means no blur.

    GHOST blurs a uint8 mask with ksize (0, 0); a float image would get OpenCV's wider 8σ rule,
    so the size is given explicitly to keep GHOST's feather.
    """
    return int(np.rint(sigma * 6.0 + 1.0)) | 1 if sigma > 0 else 1


def jaw_offset(swapped: Landmarks, target: Landmarks) -> float:
    """Positive when the swapped jaw line lies inside the target's (swapped face narrower), in crop px."""
    layout = swapped.layout
    if target.layout != layout:
        raise ValueError(f"landmark layouts differ: {layout.name} vs {target.layout.name}")
    s, t = swapped.points.astype(np.float64), target.points.astype(np.float64)
    left = float((s[list(layout.jaw_left), 0] - t[list(layout.jaw_left), 0]).sum())
    right = float((t[list(layout.jaw_right), 0] - s[list(layout.jaw_right), 0]).sum())
    return max(left, right)


def choose_params(swapped: Landmarks, target: Landmarks) -> MaskParams:
    """GHOST's table: a narrower swap gets more erosion and feather, a wider one is dilated.

    GHOST chooses once per target (its first frame) and keeps the result; callers that want that
    behaviour cache the returned value per track.
    """
    offset = jaw_offset(swapped, target)
    if offset > 6:
        return MaskParams(erode=15, sigma_x=15.0, sigma_y=10.0, brow_factor=2.7)
    if offset > 3:
        return MaskParams(erode=10, sigma_x=10.0, sigma_y=8.0, brow_factor=2.0)
    if offset < -3:
        return MaskParams(erode=-5, sigma_x=5.0, sigma_y=10.0, brow_factor=0.5)
    return MaskParams(erode=5, sigma_x=5.0, sigma_y=5.0, brow_factor=2.0)


def lifted_points(landmarks: Landmarks, brow_factor: float) -> np.ndarray:
    """Integer landmark points with each brow point pushed away from its eye by factor·0.5·(brow − eye).

    GHOST casts the points to int first and stores the moved brows back into the int array
    (truncation toward zero); both casts are kept so the hull matches GHOST's pixel for pixel.
    """
    layout = landmarks.layout
    if len(layout.brows) != len(layout.eyes):
        raise ValueError(f"{layout.name}: {len(layout.brows)} brow points but {len(layout.eyes)} eye points")
    points = landmarks.points.astype(np.int32)
    brows, eyes = list(layout.brows), list(layout.eyes)
    moved = points[brows] + brow_factor * 0.5 * (points[brows] - points[eyes]).astype(np.float64)
    points[brows] = moved.astype(np.int32)
    return points


def face_mask(landmarks: Landmarks, params: MaskParams, size: int = CROP_SIZE) -> np.ndarray:
    """The feathered matte in crop pixels: float32 size×size in 0..1 (GHOST §3.9 steps 3-7, in float)."""
    points = lifted_points(landmarks, params.brow_factor)
    hull_index = landmarks.layout.hull
    if hull_index is not None:
        points = points[list(hull_index)]
    mask = np.zeros((size, size), np.float32)
    cv2.fillConvexPoly(mask, cv2.convexHull(points.reshape(-1, 1, 2)), 1.0)
    k = abs(int(params.erode))
    if k > 0:
        kernel = np.ones((k, k), np.uint8)
        mask = cv2.erode(mask, kernel) if params.erode > 0 else cv2.dilate(mask, kernel)
    band = min(params.border, size)
    if band > 0:
        mask[:band] = 0.0
        mask[-band:] = 0.0
        mask[:, :band] = 0.0
        mask[:, -band:] = 0.0
    kx, ky = params.kernel_size
    if kx > 1 or ky > 1:
        mask = cv2.GaussianBlur(mask, (kx, ky), params.sigma_x, sigmaY=params.sigma_y)
    return np.clip(mask, 0.0, 1.0, out=mask)


def box_matrix(inverse: np.ndarray, box: Box) -> np.ndarray:
    """The crop → frame matrix re-based so the box's top-left pixel is (0, 0)."""
    matrix = np.array(inverse, np.float64).reshape(2, 3).copy()
    matrix[:, 2] -= (box[0], box[1])
    return matrix


def supersample_factor(matrix: np.ndarray) -> int:
    """1 when the crop is enlarged (plain bilinear), else ceil(crop px per frame px), capped."""
    scale = float(np.sqrt(abs(np.linalg.det(np.asarray(matrix, np.float64)[:, :2]))))
    if scale <= 0 or not np.isfinite(scale):
        raise ValueError(f"degenerate crop → frame matrix (scale {scale})")
    return 1 if scale >= 1.0 else min(MAX_SUPERSAMPLE, int(np.ceil(1.0 / scale - 1e-6)))


def warp_to_box(image: np.ndarray, inverse: np.ndarray, box: Box) -> np.ndarray:
    """Resample a crop-space image into the frame box, zero outside the warped crop.

    Enlarging: bilinear. Shrinking: bilinear at f× the box resolution (f = ceil(1/scale), so no
    crop pixel is skipped), then the mean of each f×f block: an area filter, so one-pixel lines
    and hull edges do not alias or flicker when a small face moves.
    """
    w, h = box[2], box[3]
    if w <= 0 or h <= 0:
        return np.zeros((max(h, 0), max(w, 0), *image.shape[2:]), np.float32)
    if (gpu := warp_device.active()) is not None:  # a CUDA render's torch warper (engine/torch_warp.py)
        return gpu.warp_to_box(image, inverse, box)
    matrix = box_matrix(inverse, box)
    f = supersample_factor(matrix)
    src = np.ascontiguousarray(image, np.float32)
    if f == 1:
        return cv2.warpAffine(
            src, matrix, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0
        )
    # Supersample pixel (U, V) has its centre at box position ((U + 0.5)/f − 0.5, …).
    fine = matrix * f
    fine[:, 2] += (f - 1) / 2.0
    dense = cv2.warpAffine(
        src, fine, (w * f, h * f), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0
    )
    # INTER_AREA with an integer factor is the exact f×f block mean (and far faster than numpy's).
    return cv2.resize(dense, (w, h), interpolation=cv2.INTER_AREA)


def paste_matte(matte: np.ndarray, inverse: np.ndarray, box: Box) -> np.ndarray:
    """The crop matte in frame box pixels (h×w float32, 0..1), anti-aliased when the face shrinks.

    `inverse` is the 2×3 crop → frame matrix, `box` (x, y, w, h) the frame pixels to fill
    (usually `crop_footprint`). Exactly 0 where no part of the crop lands.
    """
    if matte.ndim != 2:
        raise ValueError(f"paste_matte: expected an H×W matte, got shape {matte.shape}")
    out = warp_to_box(matte, inverse, box)
    return np.clip(out, 0.0, 1.0, out=out)
