"""Bridging short detection drop-outs inside a track (motion blur, a hand passing the face).

The detector misses a face for a frame or two far more often than the face really leaves, and a
missed frame is a frame rendered without the swap: the actor's own face pops through. So a gap
of at most `max_gap` processed frames between two detections of one track (and no cut inside
it) is filled with detections interpolated linearly between the two: box, key points and score
(the lower of the two, so a made-up face never outranks a seen one). The dense landmarks the
matte uses are not stored: render finds them on the plate at the interpolated key points, as on
any other frame. Longer gaps stay gaps: after a long absence interpolation would be a guess.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ghost_core.errors import UsageError
from ghost_core.faces.tracking import Track
from ghost_core.faces.types import Detection

#: Default longest drop-out bridged, in processed frames (the `analysis.bridge_gap` knob).
DEFAULT_MAX_GAP = 3


def _between(a: Detection, b: Detection, t: float) -> Detection:
    mix = lambda x, y: (1.0 - t) * np.asarray(x, np.float64) + t * np.asarray(y, np.float64)  # noqa: E731
    return Detection(box=mix(a.box, b.box), score=min(a.score, b.score), kps=mix(a.kps, b.kps))


def bridge_gaps(
    track: Track, frames: Sequence[int], max_gap: int = DEFAULT_MAX_GAP, cuts: Sequence[int] = ()
) -> Track:
    """The track with every gap of 1..`max_gap` processed frames filled; the same track if none.

    `frames` is the processed frame list the track was linked over; `cuts` are frames that start a
    new shot (a gap that contains or ends on one is left alone: the face may be someone else's).
    """
    if max_gap < 0:
        raise UsageError(f"--bridge-gap must be 0 or more, got {max_gap}")
    position = {f: i for i, f in enumerate(frames)}
    cut_at = {position[c] for c in cuts if c in position}
    out_frames: list[int] = []
    out_dets: list[Detection] = []
    made: set[int] = set(track.interpolated)
    for k, (f, det) in enumerate(zip(track.frames, track.detections, strict=True)):
        if k:
            p0, p1 = position[track.frames[k - 1]], position[f]
            missing = p1 - p0 - 1
            crosses = any(p0 < c <= p1 for c in cut_at)
            if 0 < missing <= max_gap and not crosses:
                prev = track.detections[k - 1]
                for step, p in enumerate(range(p0 + 1, p1), 1):
                    out_frames.append(frames[p])
                    out_dets.append(_between(prev, det, step / (missing + 1)))
                    made.add(frames[p])
        out_frames.append(f)
        out_dets.append(det)
    if len(out_frames) == len(track.frames):
        return track
    return Track(id=track.id, frames=out_frames, detections=out_dets, interpolated=frozenset(made))
