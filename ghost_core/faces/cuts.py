"""Shot cuts: where the picture changes so much between two frames that position says nothing about who.

A face tracker that links by position alone carries an id across a cut whenever two people happen
to stand in the same place, and splits one actor when the camera jumps. So `track` looks for cuts
first and the linker never continues a track through one (identity linking may still join the
tracks into one actor, see `tracking.link_actors`).

Each frame is reduced to a `Signature`: a colour histogram and a 32×18 luma thumbnail of the
model-space picture. The change between two consecutive frames is the larger of the histogram
distance (half the L1 distance of normalised 8×8×8 histograms, 0..1: new colours) and the
structure distance (1 − normalised cross-correlation of the thumbnails, clipped to 0..1: the same
colours rearranged, e.g. a mirrored or reframed shot). A frame starts a new shot when its change
is at least `MIN_CHANGE` and `FACTOR` times the median change of the `WINDOW` frames around it, so a
fast-moving shot (large ordinary changes) needs a larger jump than a static one; a change of
`HARD_CHANGE` or more (little in common at all, e.g. a black or flash frame) is always a cut, also
where cuts follow each other too closely for a local level. On dance.mp4 (66 frames) ordinary
changes are 0.05–0.17; the same clip mirrored and reframed by 120 px after a splice gives 1.0.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

THUMB = (32, 18)  # (width, height) of the structure thumbnail
BINS = 8  # histogram bins per channel
MIN_CHANGE = 0.3
HARD_CHANGE = 0.6
FACTOR = 3.0
WINDOW = 4  # frames either side whose changes set the local level


@dataclass(frozen=True)
class Signature:
    """What cut detection keeps of one frame (a few hundred numbers, so memory stays flat)."""

    histogram: np.ndarray  # BINS³, sums to 1
    thumb: np.ndarray  # THUMB luma, zero mean, unit norm (all zeros for a flat frame)


def signature(rgb: np.ndarray) -> Signature:
    """The signature of a model-space RGB frame (H×W×3, 0..1)."""
    small = cv2.resize(np.asarray(rgb[..., :3], np.float32), (128, 72), interpolation=cv2.INTER_AREA)
    small = np.nan_to_num(np.clip(small, 0.0, 1.0))
    q = np.minimum((small * BINS).astype(np.int64), BINS - 1)
    codes = (q[..., 0] * BINS + q[..., 1]) * BINS + q[..., 2]
    hist = np.bincount(codes.ravel(), minlength=BINS**3).astype(np.float64)
    hist /= max(hist.sum(), 1.0)
    luma = small @ np.array([0.2126, 0.7152, 0.0722], np.float32)
    thumb = cv2.resize(luma, THUMB, interpolation=cv2.INTER_AREA).astype(np.float64)
    thumb -= thumb.mean()
    norm = float(np.linalg.norm(thumb))
    return Signature(hist, thumb / norm if norm > 1e-6 else np.zeros_like(thumb))


def change(a: Signature, b: Signature) -> float:
    """How different two frames look, 0 (same) .. 1 (nothing in common)."""
    colours = 0.5 * float(np.abs(a.histogram - b.histogram).sum())
    structure = float(np.clip(1.0 - float((a.thumb * b.thumb).sum()), 0.0, 1.0))
    return max(colours, structure)


def detect_cuts(
    frames: Sequence[int],
    signatures: Sequence[Signature],
    *,
    min_change: float = MIN_CHANGE,
    factor: float = FACTOR,
    window: int = WINDOW,
) -> list[int]:
    """The frames (of `frames`, in order) that start a new shot; the first frame never does."""
    if len(frames) != len(signatures):
        raise ValueError(f"{len(frames)} frames but {len(signatures)} signatures")
    changes = [change(a, b) for a, b in itertools.pairwise(signatures)]
    cuts = []
    for i, c in enumerate(changes):
        around = changes[max(0, i - window) : i] + changes[i + 1 : i + 1 + window]
        level = float(np.median(around)) if around else 0.0
        if c >= HARD_CHANGE or (c >= min_change and c >= factor * level):
            cuts.append(int(frames[i + 1]))
    return cuts


def shot_of(frames: Sequence[int], cuts: Sequence[int]) -> dict[int, int]:
    """Shot number (0, 1, …) of every frame, counting the cuts at or before it."""
    starts = sorted(cuts)
    out: dict[int, int] = {}
    k = 0
    for f in sorted(frames):
        while k < len(starts) and starts[k] <= f:
            k += 1
        out[int(f)] = k
    return out
