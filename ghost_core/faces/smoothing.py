"""GHOST's "smooth detection" of a face's five key points over time (GHOST_REFERENCE §3.6, PR #27).

Per-frame key points jitter by a pixel or two, which makes the swapped face shimmer. GHOST averages
each frame's points with its neighbours, but only inside a *segment*: a run of frames where the
face is present and neither the left eye (point 0) nor the nose (point 2) jumped more than 5 px
since the previous frame, so a cut or a fast move is never blurred across. Reproduced exactly,
with GHOST's numbers as defaults.
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
) -> tuple[list[np.ndarray | None], list[int]]:
    """Smooth one track's per-frame 5×2 key points (None = no face); return (smoothed, segment ids).

    Inside a segment of length L, frame i (segment-local) becomes the mean of frames i−q … i+q with
    q = min(i, L−1−i, radius): the first and last frames stay as they are, the second and the
    second-to-last use radius 1. Means are taken in float64; frames without a face stay None.
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
        length = len(block)
        for i in range(length):
            q = min(i, length - 1 - i, radius)
            out[start + i] = block[i - q : i + q + 1].mean(axis=0)
        start = end + 1
    return out, ids
