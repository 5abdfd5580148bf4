"""Paste-back: the swapper's change, brought to the plate in scene-linear light, mixed in by the matte.

GHOST mixes `mask·swap + (1 − mask)·frame` on 8-bit sRGB frames. On a scene-linear plate the
network only ever saw a clipped 0..1 model-space view, so its output cannot stand in for the
plate: highlights, negatives and anything clipped would be lost. Instead the swap is defined as
the plate plus the network's change,

    D   = paste(lin(swap_crop) − lin(seen_crop))      lin = ColorPath.from_model(…, gain)
    out = plate·(1 − m) + (plate + D)·m = plate + m·D

so wherever the network left the face alone (D = 0) or the matte is 0 the plate's own values
come through, and the writer keeps its bits there. The change is clamped so that it never makes a
channel negative that was not negative on the plate (`out >= min(plate, 0)`). Inside the matte,
a plate pixel with any non-finite channel (NaN/Inf) has no light to add the change to: the
whole pixel takes the swap's own value lin(swap) instead (outside the matte it stays as it was).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

import numpy as np

from ghost_core.color import ColorPath
from ghost_core.faces import warp_device
from ghost_core.faces.align import Alignment, crop_footprint
from ghost_core.matte import Box, paste_matte, warp_to_box


class PastedFace(NamedTuple):
    """One face composited over its footprint: new plate pixels, the matte there, and the frame box."""

    rgb: np.ndarray
    matte: np.ndarray
    box: Box


def blend(plate: np.ndarray, face: np.ndarray, matte: np.ndarray) -> np.ndarray:
    """Linear-light mix by the matte: exactly `plate` where it is 0, exactly `face` where it is 1.

    The ends are copied, not computed, so Inf or NaN on one side never leaks into the other.
    """
    weight = np.asarray(matte, np.float32)[..., None]
    with np.errstate(invalid="ignore", over="ignore"):
        out = (plate * (1.0 - weight) + face * weight).astype(np.float32, copy=False)
    np.copyto(out, face, where=weight >= 1.0)
    np.copyto(out, plate, where=weight <= 0.0)
    return out


def paste_face(
    plate_rgb: np.ndarray,
    swap_crop: np.ndarray,
    seen_crop: np.ndarray,
    alignment: Alignment,
    matte_crop: np.ndarray,
    color: ColorPath,
    gain: float = 1.0,
    origin: tuple[int, int] = (0, 0),
    holdout: np.ndarray | None = None,
) -> PastedFace:
    """Composite one swapped face over `plate_rgb` (H×W×3 float32 scene-linear), inside its footprint only.

    `swap_crop` is the network's model-space result and `seen_crop` exactly the model-space crop it
    was given (clipped 0..1), both size×size×3 in `alignment`'s crop; `matte_crop` is `face_mask`'s
    matte there; `gain` the exposure gain used for `to_model`. `plate_rgb` may be a box of the
    frame whose top-left is frame pixel `origin` (x, y). Returns the new pixels of the footprint
    box (frame coordinates) and the matte over it; the plate is not modified. Work is bounded by
    the face footprint, not the frame size. Resampling is `warp_to_box`'s: bilinear with a zero
    border, area-filtered when the face is smaller on the plate than in the crop. Non-finite crop
    values (a NaN plate leaking into the network's view) count as 0 so D stays finite.
    `holdout` (same rows and columns as `plate_rgb`, 0..1) is subtracted from the pasted matte:
    where it is 1 the matte is 0 and the plate's bits come through.
    """
    if plate_rgb.ndim != 3 or plate_rgb.shape[2] != 3:
        raise ValueError(f"paste_face: plate must be H×W×3, got shape {plate_rgb.shape}")
    size = alignment.size
    for name, crop in (("swap_crop", swap_crop), ("seen_crop", seen_crop)):
        if crop.shape != (size, size, 3):
            raise ValueError(f"paste_face: {name} must be {size}×{size}×3, got shape {crop.shape}")
    if matte_crop.shape != (size, size):
        raise ValueError(f"paste_face: matte_crop must be {size}×{size}, got shape {matte_crop.shape}")
    local = alignment.shifted(origin)
    x, y, w, h = crop_footprint(local, plate_rgb.shape[0], plate_rgb.shape[1])
    box = (x + origin[0], y + origin[1], w, h)
    local_box = (x, y, w, h)
    if w == 0 or h == 0:
        return PastedFace(np.zeros((h, w, 3), np.float32), np.zeros((h, w), np.float32), box)

    matte = paste_matte(matte_crop, local.inverse, local_box)
    if holdout is not None:
        matte = np.maximum(matte - holdout[y : y + h, x : x + w], 0.0, out=matte)
    out = np.array(plate_rgb[y : y + h, x : x + w], np.float32, copy=True)
    rows, cols = np.flatnonzero(matte.any(1)), np.flatnonzero(matte.any(0))
    if rows.size == 0:
        return PastedFace(out, matte, box)
    # Only the matte's support needs the change; the rest of the footprint is a plain copy.
    r0, r1, c0, c1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    support = (x + c0, y + r0, c1 - c0, r1 - r0)
    plate, weight = plate_rgb[y + r0 : y + r1, x + c0 : x + c1], matte[r0:r1, c0:c1, None]
    if (gpu := warp_device.active()) is not None:  # CUDA render: colour, warp and blend on the device
        mixed = gpu.paste_change(plate, weight, swap_crop, seen_crop, local.inverse, support, color, gain)
        np.copyto(out[r0:r1, c0:c1], mixed, where=weight > 0)
        return PastedFace(out, matte, box)

    # The network's view is finite 0..1 by construction; NaN from a broken plate must not become D.
    # Both crops go through OCIO in one call (one processor pass over 2·size rows).
    both = np.concatenate([np.asarray(swap_crop, np.float32), np.clip(seen_crop, 0.0, 1.0)])
    np.nan_to_num(both, copy=False, nan=0.0, posinf=1.0, neginf=0.0)
    linear = color.from_model(both, gain)
    swap_linear = linear[:size]
    mixed = warp_to_box(linear[:size] - linear[size:], local.inverse, support)
    with np.errstate(invalid="ignore", over="ignore"):
        mixed *= weight
        mixed += plate
        # The swap never takes light below zero where the plate had none below it: the change is
        # clamped, the plate's own negatives (and values above 1) pass through as they were.
        np.maximum(mixed, np.minimum(plate, 0.0), out=mixed)
    np.copyto(out[r0:r1, c0:c1], mixed, where=weight > 0)  # matte 0: the plate's bits, whatever D is
    if not np.isfinite(plate).all():
        broken = (weight[..., 0] > 0) & ~np.isfinite(plate).all(-1)
        if broken.any():
            swap_box = warp_to_box(swap_linear, local.inverse, support)
            out[r0:r1, c0:c1][broken] = swap_box[broken]
    return PastedFace(out, matte, box)


def place(values: np.ndarray, box: Box, height: int, width: int) -> np.ndarray:
    """A box array (e.g. a face's matte) inside a zero frame of height×width."""
    x, y, w, h = box
    frame = np.zeros((height, width, *values.shape[2:]), np.float32)
    frame[y : y + h, x : x + w] = values
    return frame


def combine_mattes(mattes: Iterable[np.ndarray]) -> np.ndarray:
    """The written matte for several faces on one frame: their per-pixel maximum.

    Faces are composited one after another on the same plate (each `paste_face` takes the
    previous result), so a later face lies over an earlier one where they overlap; the union
    matte still says where anything changed.
    """
    combined: np.ndarray | None = None
    for matte in mattes:
        combined = np.array(matte, np.float32) if combined is None else np.maximum(combined, matte)
    if combined is None:
        raise ValueError("combine_mattes: no mattes given")
    return combined
