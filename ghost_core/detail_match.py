"""Detail match: the swapped face's fine detail is brought to the plate face's, band by band.

A swapper can paint a face with more fine detail than the plate's face has: the offline `morph`
swapper warps a sharp source photo onto a soft video frame (sharpness 1.48 times the plate's on
dance.mp4). The face then reads as pasted on, and the extra detail leaves a frame-to-frame
residual wherever the shot's motion is not exactly followed (docs/temporal.md). Here, in the
face-aligned crop, the swap and the plate crop are each split in Oklab into a low-frequency base
and `len(SIGMAS)` high-frequency bands (differences of Gaussians, `SIGMAS` in 224-crop pixels). For
every band the swap's energy (a robust RMS of its lightness band: 1.4826 · median |band|, which
specular glints and feature edges do not move) is measured on the face's skin in both crops, and
the swap's band (lightness and chroma alike) is scaled by

    gain = clip(rms_plate / rms_swap, MIN_GAIN, max_gain),   mixed by `strength`: 1 + s·(gain − 1)

With `max_gain` 1 (the default) it only attenuates: a swap that is already softer than the plate
is left alone and no noise or grain is ever added. `MIN_GAIN` keeps some of the swap's own detail
where the plate has almost none (a clipped highlight, a blurred frame). The base is untouched, so
colour and shading stay the colour match's.

Like the colour match it works on model-space crops (0..1) and returns one; paste-back
(composite.py) stays the one path to scene-linear: pixels outside the matte keep their bits, the
change never makes a value negative that was not negative on the plate, and plate values above 1
pass through. It depends only on this face's own crops, so a farm chunk gives the same bits as a
whole render.
"""

from __future__ import annotations

from typing import NamedTuple

import cv2
import numpy as np

from ghost_core.color_match import from_oklab, to_oklab

SIGMAS = (1.5, 3.0, 6.0, 12.0)  # band edges: Gaussian sigmas in 224-crop pixels (tuned on dance 36-58)
MIN_GAIN = 0.25  # a band never drops below this fraction of the swap's own
PASSES = 6  # re-split-and-scale passes (the bands overlap, see match_detail)
MIN_PIXELS = 64  # below this many crop pixels of skin the energies are not trusted: no change
SKIN_WEIGHT = 0.5  # skin weight (region mask × matte) from which a pixel is measured
REFERENCE = 224  # crop size the sigmas are given for (a boosted 512 crop scales them)
MAD_TO_SIGMA = 1.4826  # median |x| of a zero-mean normal, times this, is its standard deviation


class DetailBands(NamedTuple):
    """One crop split into a base and high-frequency bands (finest first), all h×w(×c) float32."""

    base: np.ndarray
    bands: list[np.ndarray]


def split_bands(values: np.ndarray, sigmas: tuple[float, ...] = SIGMAS) -> DetailBands:
    """`values` (h×w or h×w×c) = base + Σ bands: differences of Gaussians at `sigmas` (crop pixels)."""
    scale = values.shape[0] / REFERENCE
    levels = [np.asarray(values, np.float32)]
    for sigma in sigmas:
        levels.append(cv2.GaussianBlur(levels[0], (0, 0), sigma * scale, borderType=cv2.BORDER_REFLECT))
    return DetailBands(levels[-1], [levels[k] - levels[k + 1] for k in range(len(sigmas))])


def robust_rms(band: np.ndarray, where: np.ndarray) -> float:
    """Robust RMS of a zero-mean band over the pixels `where` (1.4826 · median |band|)."""
    return MAD_TO_SIGMA * float(np.median(np.abs(band[where])))


def band_energies(model: np.ndarray, where: np.ndarray, sigmas: tuple[float, ...] = SIGMAS) -> list[float]:
    """Robust RMS of each lightness band of a model-space crop over `where` (finest band first)."""
    lightness = to_oklab(np.clip(model, 0.0, 1.0))[..., 0]
    return [robust_rms(b, where) for b in split_bands(lightness, sigmas).bands]


def detail_goals(
    swap_l: np.ndarray,
    seen_l: np.ndarray,
    where: np.ndarray,
    strength: float,
    max_gain: float,
    sigmas: tuple[float, ...] = SIGMAS,
) -> tuple[list[float], list[float]]:
    """Per lightness band, (the swap's energy, the energy it is to get) over `where`."""
    own = [robust_rms(b, where) for b in split_bands(swap_l, sigmas).bands]
    plate = [robust_rms(b, where) for b in split_bands(seen_l, sigmas).bands]
    goals = []
    for mine, theirs in zip(own, plate, strict=True):
        gain = 1.0 if mine <= 1e-6 else float(np.clip(theirs / mine, MIN_GAIN, max(max_gain, 1.0)))
        goals.append(mine * (1.0 + strength * (gain - 1.0)))
    return own, goals


def match_detail(
    swap: np.ndarray,
    seen: np.ndarray,
    weight: np.ndarray,
    strength: float = 1.0,
    max_gain: float = 1.0,
    sigmas: tuple[float, ...] = SIGMAS,
) -> np.ndarray:
    """`swap` (size×size×3 model space) with each detail band's energy brought to `seen`'s.

    `weight` (size×size, 0..1) says where the face's skin is (both crops are measured there);
    `strength` 0..1 mixes the gains towards 1; `max_gain` >= 1 caps how far a band of a swap that
    is softer than the plate may be raised (1: only attenuate). Returns `swap` itself when nothing
    changes (strength 0, too little skin, every gain 1), else float32 model space clipped to 0..1.
    """
    if swap.shape[:2] != weight.shape or seen.shape[:2] != weight.shape:
        raise ValueError(f"detail match: crops {swap.shape[:2]} / {seen.shape[:2]} vs weight {weight.shape}")
    if strength <= 0.0:
        return swap
    where = np.asarray(weight) >= SKIN_WEIGHT
    if int(where.sum()) < MIN_PIXELS:
        return swap
    swap_lab = to_oklab(np.clip(swap, 0.0, 1.0))
    seen_lab = to_oklab(np.clip(seen, 0.0, 1.0))
    own, goals = detail_goals(swap_lab[..., 0], seen_lab[..., 0], where, strength, max_gain, sigmas)
    if goals == own:
        return swap
    # Difference-of-Gaussian bands overlap in frequency: scaling one moves its neighbours' measured
    # energy too (softening the finest band takes some energy from the next). A few passes of
    # re-splitting and re-scaling land every band on its goal, which is never above the swap's own
    # energy times max_gain; each pass's factor is bounded so a band with little energy cannot blow up.
    lab = swap_lab.astype(np.float32)
    for _ in range(PASSES):
        split = split_bands(lab, sigmas)
        now = [robust_rms(b[..., 0], where) for b in split.bands]
        steps = [
            float(np.clip(g / e, MIN_GAIN, 1.0 / MIN_GAIN)) if e > 1e-6 else 1.0
            for g, e in zip(goals, now, strict=True)
        ]
        lab = split.base + sum(step * band for step, band in zip(steps, split.bands, strict=True))
    return from_oklab(lab)
