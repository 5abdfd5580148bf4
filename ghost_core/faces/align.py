"""GHOST's face alignment: the five pose templates at 224, best fit wins (GHOST_REFERENCE §1.9).

One function family for every crop the engine makes (sources, targets, frames), so a crop's
matrix can always be inverted for paste-back.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ghost_core.faces import warp_device

CROP_SIZE = 224
GENERATOR_SIZE = 256
ARCFACE_SIZE = 112

# insightface 0.2.x templates at 112 px: left profile, left, frontal, right, right profile.
POSE_TEMPLATES_112 = np.array(
    [
        [[51.642, 50.115], [57.617, 49.990], [35.740, 69.007], [51.157, 89.050], [57.025, 89.702]],
        [[45.031, 50.118], [65.568, 50.872], [39.677, 68.111], [45.177, 86.190], [64.246, 86.758]],
        [[39.730, 51.138], [72.270, 51.138], [56.000, 68.493], [42.463, 87.010], [69.537, 87.010]],
        [[46.845, 50.872], [67.382, 50.118], [72.737, 68.111], [48.167, 86.758], [67.236, 86.190]],
        [[54.796, 49.990], [60.771, 50.115], [76.673, 69.007], [55.388, 89.702], [61.257, 89.050]],
    ],
    np.float64,
)
POSE_NAMES = ("left profile", "left", "frontal", "right", "right profile")


@dataclass(frozen=True)
class Alignment:
    """Frame → crop similarity (2×3, pixel coordinates) and the template that fitted best."""

    matrix: np.ndarray
    pose: int
    size: int = CROP_SIZE

    @property
    def inverse(self) -> np.ndarray:
        return cv2.invertAffineTransform(self.matrix)

    def shifted(self, origin: tuple[int, int]) -> Alignment:
        """The same alignment for an image whose pixel (0, 0) is frame pixel `origin` (x, y)."""
        matrix = np.array(self.matrix, np.float64, copy=True)
        matrix[:, 2] += matrix[:, :2] @ np.asarray(origin, np.float64)
        return Alignment(matrix, self.pose, self.size)


def templates(size: int = CROP_SIZE) -> np.ndarray:
    """The five templates scaled to a `size` crop (GHOST uses 224 = 2 × 112)."""
    return POSE_TEMPLATES_112 * (size / 112.0)


def similarity(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Least-squares similarity (rotation, uniform scale, shift) taking `src` onto `dst` (Umeyama 1991).

    Same estimate as skimage's SimilarityTransform, which GHOST uses; returns a 2×3 matrix.
    """
    src = np.asarray(src, np.float64)
    dst = np.asarray(dst, np.float64)
    mu_s, mu_d = src.mean(0), dst.mean(0)
    s0, d0 = src - mu_s, dst - mu_d
    cov = d0.T @ s0 / len(src)
    u, sig, vt = np.linalg.svd(cov)
    sign = np.ones(2)
    if np.linalg.det(cov) < 0:
        sign[1] = -1.0
    rot = u @ np.diag(sign) @ vt
    var_s = (s0**2).sum() / len(src)
    if var_s <= 0:
        raise ValueError("key points are degenerate (all equal); cannot align")
    scale = float((sig * sign).sum() / var_s)
    matrix = np.empty((2, 3))
    matrix[:, :2] = scale * rot
    matrix[:, 2] = mu_d - matrix[:, :2] @ mu_s
    return matrix


def transform_points(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    pts = np.asarray(points, np.float64)
    return pts @ matrix[:, :2].T + matrix[:, 2]


def estimate_norm(kps: np.ndarray, size: int = CROP_SIZE) -> Alignment:
    """Fit all five pose templates; the smallest summed point distance wins (GHOST's rule)."""
    kps = np.asarray(kps, np.float64).reshape(5, 2)
    if not np.isfinite(kps).all():
        raise ValueError("key points contain NaN or Inf")
    best: Alignment | None = None
    best_error = np.inf
    for pose, template in enumerate(templates(size)):
        matrix = similarity(kps, template)
        error = float(np.linalg.norm(transform_points(matrix, kps) - template, axis=1).sum())
        if error < best_error:
            best, best_error = Alignment(matrix, pose, size), error
    assert best is not None
    return best


def warp_crop(image: np.ndarray, alignment: Alignment, border: str = "constant") -> np.ndarray:
    """Bilinear float warp of `image` into the alignment's square crop (black border, as GHOST)."""
    if (gpu := warp_device.active()) is not None:  # a CUDA render's torch warper (engine/torch_warp.py)
        return gpu.warp_crop(image, alignment.matrix, alignment.size, border)
    mode = cv2.BORDER_REPLICATE if border == "replicate" else cv2.BORDER_CONSTANT
    return cv2.warpAffine(
        np.ascontiguousarray(image, np.float32),
        alignment.matrix,
        (alignment.size, alignment.size),
        flags=cv2.INTER_LINEAR,
        borderMode=mode,
        borderValue=0,
    )


def crop_footprint(
    alignment: Alignment, height: int, width: int, margin: int = 2
) -> tuple[int, int, int, int]:
    """Frame box (x, y, w, h) the crop covers, clipped to the frame: the only pixels paste-back touches."""
    s = alignment.size
    corners = transform_points(alignment.inverse, np.array([[0, 0], [s, 0], [0, s], [s, s]], np.float64))
    x0 = max(0, int(np.floor(corners[:, 0].min())) - margin)
    y0 = max(0, int(np.floor(corners[:, 1].min())) - margin)
    x1 = min(width, int(np.ceil(corners[:, 0].max())) + margin)
    y1 = min(height, int(np.ceil(corners[:, 1].max())) + margin)
    return x0, y0, max(0, x1 - x0), max(0, y1 - y0)


def resize_linear(image: np.ndarray, size: int) -> np.ndarray:
    """Bilinear resize of a square crop (224 → 256 for the generator, 256 → 224 back)."""
    return cv2.resize(np.ascontiguousarray(image, np.float32), (size, size), interpolation=cv2.INTER_LINEAR)


def half_align_corners(batch: np.ndarray) -> np.ndarray:
    """N×S×S×C → N×(S/2)×(S/2)×C bilinear with align_corners=True: GHOST's 224 → 112 for ArcFace."""
    n, s = batch.shape[0], batch.shape[1]
    out = s // 2
    pos = np.arange(out, dtype=np.float64) * (s - 1) / (out - 1)
    i0 = np.floor(pos).astype(int)
    i1 = np.minimum(i0 + 1, s - 1)
    w = (pos - i0).astype(np.float32)
    rows = batch[:, i0] * (1 - w)[None, :, None, None] + batch[:, i1] * w[None, :, None, None]
    cols = rows[:, :, i0] * (1 - w)[None, None, :, None] + rows[:, :, i1] * w[None, None, :, None]
    assert cols.shape[0] == n
    return cols.astype(np.float32)
