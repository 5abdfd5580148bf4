"""Cutting a face out of a scene-linear frame into GHOST's crop, touching only its footprint.

Only the box the 224 crop covers is converted to model space, so a 4K plate costs what its
face costs, and the same function serves detection-time analysis and render (one crop path).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ghost_core.color import ColorPath
from ghost_core.faces import warp_device
from ghost_core.faces.align import CROP_SIZE, Alignment, crop_footprint, estimate_norm, warp_crop


@dataclass(frozen=True)
class FaceCrop:
    """One face of one frame: frame→crop alignment, the frame box it covers, what the network sees."""

    alignment: Alignment
    box: tuple[int, int, int, int]
    seen: np.ndarray
    gain: float
    detail: FaceCrop | None = None  # the same crop at 512 for pixel boost (large faces only)
    # `seen` as the 1×3×S×S tensor it was made from on the GPU (CUDA renders), for the swapper
    on_device: Any = field(default=None, compare=False, repr=False)


def cut_face(
    rgba: np.ndarray, color: ColorPath, kps: np.ndarray, gain: float = 1.0, size: int = CROP_SIZE
) -> FaceCrop | None:
    """Model-space `size` crop (GHOST's 224) of the face at `kps` (frame pixels); None when off-frame."""
    alignment = estimate_norm(kps, size)
    height, width = rgba.shape[:2]
    box = crop_footprint(alignment, height, width)
    x, y, w, h = box
    if w == 0 or h == 0:
        return None
    if (gpu := warp_device.active()) is not None:  # CUDA render: colour and warp on the device
        seen, on_device = gpu.model_crop(
            rgba[y : y + h, x : x + w, :3], color, gain, alignment.shifted((x, y)).matrix, size
        )
        return FaceCrop(alignment, box, seen, gain, on_device=on_device)
    region = np.ascontiguousarray(rgba[y : y + h, x : x + w, :3], np.float32)
    model = color.to_model(region, gain, clip=True)
    # NaN/Inf in the plate must not reach the network; they stay untouched in the output plate.
    np.nan_to_num(model, copy=False, nan=0.0, posinf=1.0, neginf=0.0)
    return FaceCrop(alignment, box, warp_crop(model, alignment.shifted((x, y))), gain)


def face_gain(
    rgba: np.ndarray, color: ColorPath, box: np.ndarray, low: float = 0.04, high: float = 0.6
) -> float:
    """Exposure gain for a face: 1 when its median luminance is ordinary, else it is brought to 0.25.

    Faces in very dark or very hot plates then reach the network where faces in its training
    photos sat; the gain is undone on the way back, so normal plates are never touched by it.
    """
    height, width = rgba.shape[:2]
    x0, y0, x1, y1 = np.round(np.asarray(box, np.float64)).astype(int).tolist()
    x0, y0 = min(max(x0, 0), width - 1), min(max(y0, 0), height - 1)
    region = (x0, y0, max(1, min(x1, width) - x0), max(1, min(y1, height) - y0))
    level = 0.18 / color.exposure_gain(rgba, region, grey=0.18)
    if low <= level <= high:
        return 1.0
    return float(np.clip(0.25 / max(level, 1e-6), 1 / 16, 16))


def with_detail(crop: FaceCrop, rgba: np.ndarray, color: ColorPath, kps: np.ndarray) -> FaceCrop:
    """`crop` plus its 512 twin when the face spans more plate pixels than the generator sees."""
    from ghost_core.swappers.boost import BOOST_SIZE, wants_boost

    if not wants_boost(crop.alignment):
        return crop
    detail = cut_face(rgba, color, kps, crop.gain, size=BOOST_SIZE)
    return dataclasses.replace(crop, detail=detail)
