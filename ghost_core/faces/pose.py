"""Head yaw from the detector's five key points, and what a face at that yaw gets: swap, warn or skip.

GHOST's generator was trained on mostly frontal faces; past about a three-quarter turn its output
smears the far cheek, and on a profile the five-point alignment collapses (both eyes on one side of
the nose), so the swap either paints nonsense or changes nothing. A face past `max_yaw` is skipped
(empty matte, counted and reported with its frames), one past `warn_yaw` is swapped with a warning.

The estimate: in the eye-aligned frame (roll removed), the nose tip sits off the eye midpoint by
about depth·sin(yaw) while the eyes span about width·cos(yaw); with a typical nose depth of half the
inter-ocular distance, `offset / half-span ≈ tan(yaw)`. Only the key points are needed, so every frame
gets its verdict from the track file alone (chunks agree with a whole render).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

Verdict = Literal["swap", "warn", "skip"]

LEFT_EYE, RIGHT_EYE, NOSE = 0, 1, 2  # the ArcFace five-point order (image left eye first)


def yaw_degrees(kps: np.ndarray) -> float:
    """Signed yaw estimate in degrees (positive: nose towards image right); 90 for degenerate points."""
    points = np.asarray(kps, np.float64).reshape(-1, 2)
    left, right, nose = points[LEFT_EYE], points[RIGHT_EYE], points[NOSE]
    across = right - left
    span = float(np.hypot(*across))
    if not math.isfinite(span) or span < 1e-6:
        return 90.0
    offset = float(np.dot(nose - (left + right) / 2, across / span))
    return math.degrees(math.atan2(offset, span / 2))


@dataclass(frozen=True)
class PoseCall:
    """The decision for one face: what to do and, unless it is a plain swap, why."""

    verdict: Verdict
    yaw: float
    reason: str = ""


def judge(kps: np.ndarray, warn_yaw: float, max_yaw: float) -> PoseCall:
    """swap below `warn_yaw`, warn up to `max_yaw`, skip beyond (limits in degrees of |yaw|)."""
    yaw = yaw_degrees(kps)
    turn = abs(yaw)
    if turn > max_yaw:
        return PoseCall("skip", yaw, f"head turned {turn:.0f}° (limit {max_yaw:g}°, --max-yaw)")
    if turn > warn_yaw:
        return PoseCall("warn", yaw, f"head turned {turn:.0f}° (past {warn_yaw:g}°, --warn-yaw)")
    return PoseCall("swap", yaw)
