"""Pixel boost in the render: which swap a face gets, and the crop its result is pasted from.

Mattes, landmarks, occlusion and region layers stay on the 224 crop (one matte path for every
face); only the pixels come from the 512 detail swap, whose matte is the 224 matte scaled to 512, so
paste-back resamples the swap straight to the face's native plate resolution.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from ghost_core.engine.crops import FaceCrop
from ghost_core.faces import warp_device
from ghost_core.faces.align import CROP_SIZE, resize_linear
from ghost_core.swappers.base import Swapper


def swap_crops(swapper: Swapper, crops: Sequence[FaceCrop], identity: object) -> list[np.ndarray]:
    """One swap per crop: 512 through `swap_detail` for crops with a detail twin, else the plain 224."""
    out: list[np.ndarray | None] = [None] * len(crops)
    plain = [k for k, c in enumerate(crops) if c.detail is None]
    boosted = [k for k, c in enumerate(crops) if c.detail is not None]
    if plain:
        twins = [crops[k].on_device for k in plain]
        gpu = warp_device.active()
        if gpu is not None and getattr(swapper, "device_crops", False) and all(t is not None for t in twins):
            batch = gpu.batch(twins)  # a CUDA render's crops never leave the device for the generator
        else:
            batch = np.stack([crops[k].seen for k in plain])
        faces = swapper.swap(batch, identity)
        for k, face in zip(plain, faces, strict=True):
            out[k] = face
    if boosted:
        details = np.stack([crops[k].detail.seen for k in boosted])  # type: ignore[union-attr]
        for k, face in zip(boosted, swapper.swap_detail(details, identity), strict=True):
            out[k] = face
    return out  # type: ignore[return-value]


def crop_view(swap: np.ndarray) -> np.ndarray:
    """The swap at 224 for landmarks and mattes (area filter from a 512 detail swap)."""
    if swap.shape[0] == CROP_SIZE:
        return swap
    return cv2.resize(np.ascontiguousarray(swap), (CROP_SIZE, CROP_SIZE), interpolation=cv2.INTER_AREA)


def paste_crop(crop: FaceCrop, swap: np.ndarray) -> FaceCrop:
    """The crop `swap` was made from: the detail twin for a 512 swap, else `crop` itself."""
    if swap.shape[0] != crop.seen.shape[0] and crop.detail is not None:
        return crop.detail
    return crop


def matte_at(matte: np.ndarray, size: int) -> np.ndarray:
    """A 224 crop matte at the pasted crop's size (bilinear; the feathered matte is smooth)."""
    return matte if matte.shape[0] == size else np.clip(resize_linear(matte, size), 0.0, 1.0)
