"""GHOST's "smooth detection" of a face's five key points over time (GHOST_REFERENCE §3.6, PR #27).

Per-frame key points jitter by a pixel or two, which makes the swapped face shimmer. GHOST averages
each frame's points with its neighbours, but only inside a *segment*: a run of frames where the
face is present and neither the left eye (point 0) nor the nose (point 2) jumped more than 5 px
since the previous frame, so a cut or a fast move is never blurred across. Reproduced exactly,
with GHOST's numbers as defaults.

One deliberate difference (`holds=True`, the default): a held frame (its raw key points equal the
previous frame's, as on a plate that repeats a frame) is one sample with its twin, so both get the
same smoothed points. GHOST averages each with different neighbours, which moves the crop and
makes the swap jump on a frame where the plate does not change.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

#: GHOST's `n = 2`: up to five frames are averaged.
DEFAULT_RADIUS = 2
#: GHOST's break threshold in full-frame pixels (Euclidean, per key point).
DEFAULT_JUMP_PX = 5.0
#: Key points whose jump breaks a segment: left eye and nose, as in GHOST.
DEFAULT_JUMP_POINTS = (0, 2)
#: Segment id of a frame without a face.
NO_FACE = -1
#: Raw key points closer than this (px, every coordinate) to the previous frame's are a held frame.
HOLD_PX = 1e-3


def smoothing_segments(
    kps: Sequence[np.ndarray | None],
    *,
    jump_px: float = DEFAULT_JUMP_PX,
    jump_points: Sequence[int] = DEFAULT_JUMP_POINTS,
) -> list[int]:
    """Segment id per frame (0, 1, … in order; `NO_FACE` where the frame has no face).

    A new segment starts where the previous frame has no face, or where any of `jump_points`
    moved strictly more than `jump_px` since the previous frame (GHOST uses `> 5`).
    """
    ids: list[int] = []
    current = NO_FACE
    next_id = 0
    prev: np.ndarray | None = None
    for pts in kps:
        if pts is None:
            ids.append(NO_FACE)
            prev = None
            continue
        pts = np.asarray(pts, np.float64).reshape(5, 2)
        starts = prev is None or any(float(np.linalg.norm(pts[p] - prev[p])) > jump_px for p in jump_points)
        if starts:
            current = next_id
            next_id += 1
        ids.append(current)
        prev = pts
    return ids


def smooth_keypoints(
    kps: Sequence[np.ndarray | None],
    *,
    radius: int = DEFAULT_RADIUS,
    jump_px: float = DEFAULT_JUMP_PX,
    jump_points: Sequence[int] = DEFAULT_JUMP_POINTS,
    holds: bool = True,
) -> tuple[list[np.ndarray | None], list[int]]:
    """Smooth one track's per-frame 5×2 key points (None = no face); return (smoothed, segment ids).

    Inside a segment of length L, frame i (segment-local) becomes the mean of frames i−q … i+q with
    q = min(i, L−1−i, radius): the first and last frames stay as they are, the second and the
    second-to-last use radius 1. Means are taken in float64; frames without a face stay None.
    With `holds`, a run of held frames counts as one frame of the segment and all get its mean.
    """
    ids = smoothing_segments(kps, jump_px=jump_px, jump_points=jump_points)
    out: list[np.ndarray | None] = [None] * len(ids)
    start = 0
    while start < len(ids):
        if ids[start] == NO_FACE:
            start += 1
            continue
        end = start
        while end + 1 < len(ids) and ids[end + 1] == ids[start]:
            end += 1
        block = np.stack([np.asarray(kps[f], np.float64).reshape(5, 2) for f in range(start, end + 1)])
        sample = _hold_samples(block) if holds else np.arange(len(block))
        unique = block[np.unique(sample, return_index=True)[1]]  # each sample's first frame
        length = len(unique)
        means = []
        for i in range(length):
            q = min(i, length - 1 - i, radius)
            means.append(unique[i - q : i + q + 1].mean(axis=0))
        for i, s in enumerate(sample):
            out[start + i] = means[s].copy()
        start = end + 1
    return out, ids


def _hold_samples(block: np.ndarray) -> np.ndarray:
    """Sample index per frame of a segment: a frame equal (within HOLD_PX) to the previous shares it."""
    same = np.all(np.abs(np.diff(block, axis=0)) <= HOLD_PX, axis=(1, 2))
    return np.concatenate([[0], np.cumsum(~same)])
