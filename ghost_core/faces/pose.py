"""Head yaw from the detector's five key points, and what a face at that yaw gets: swap, warn or skip.

GHOST's generator was trained on mostly frontal faces; past about a three-quarter turn its output
smears the far cheek, and on a profile the five-point alignment collapses (both eyes on one side of
the nose), so the swap either paints nonsense or changes nothing. A face past `max_yaw` is skipped
(empty matte, counted and reported with its frames), one past `warn_yaw` is swapped with a warning.

Two estimates from the five key points; the eye span's wins where it reads a turn past 60° and
more than the nose's:

* the nose: in the eye-aligned frame (roll removed), the nose tip sits off the eye midpoint by
  about depth·sin(yaw) while the eyes span about width·cos(yaw); with a typical nose depth of half
  the inter-ocular distance, `offset / half-span ≈ tan(yaw)`. It follows a turn to about 70°, then
  collapses: on a profile the far eye lands on the nose and the offset reads small again;
* the eye span: against the eyes-to-mouth distance (which a turn does not shorten) it shrinks as
  cos(yaw) from the track's own frontal ratio, and keeps shrinking up to the profile. A pitch
  shortens the eyes-to-mouth distance instead, which only lowers this estimate.

Only the track file is needed, so every frame gets the same verdict in a chunk as in a whole
render.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

Verdict = Literal["swap", "warn", "skip"]

LEFT_EYE, RIGHT_EYE, NOSE = 0, 1, 2  # the ArcFace five-point order (image left eye first)
# Eye span over the eyes-to-mouth distance of a frontal face: 0.90-1.15 on RetinaFace key points
# of the frontal test photos (alex_lacamoire1, biden2, group_t1, mark), so the low end: a person
# with a wider ratio reads a little less turned, never more.
FRONTAL_RATIO = 0.9
# Below this turn the nose estimate is the better one (the span ratio varies by person and with
# small key-point errors on small faces); past it the nose estimate starts to collapse.
SPAN_TRUSTED = 60.0


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


def span_ratio(kps: np.ndarray) -> float:
    """Eye span over the distance from the eye midpoint to the mouth midpoint (NaN when degenerate)."""
    points = np.asarray(kps, np.float64).reshape(-1, 2)
    eyes = (points[LEFT_EYE] + points[RIGHT_EYE]) / 2
    mouth = (points[3] + points[4]) / 2
    down = float(np.hypot(*(mouth - eyes)))
    return float(np.hypot(*(points[RIGHT_EYE] - points[LEFT_EYE]))) / down if down > 1e-6 else math.nan


def frontal_ratio(track_kps: Sequence[np.ndarray]) -> float:
    """The span ratio a track's face has when frontal: its 90th percentile, at least FRONTAL_RATIO
    (a track that never faces the camera keeps the typical frontal ratio)."""
    ratios = np.array([span_ratio(k) for k in track_kps], np.float64)
    ratios = ratios[np.isfinite(ratios)]
    return max(FRONTAL_RATIO, float(np.percentile(ratios, 90))) if len(ratios) else FRONTAL_RATIO


def turn_degrees(kps: np.ndarray, frontal: float = FRONTAL_RATIO) -> float:
    """Signed yaw in degrees: the nose estimate, or the eye span's where that reads past SPAN_TRUSTED
    and more turned (the nose's sign stays)."""
    nose = yaw_degrees(kps)
    ratio = span_ratio(kps)
    span = 90.0 if not math.isfinite(ratio) else math.degrees(math.acos(min(1.0, max(0.0, ratio / frontal))))
    return math.copysign(span, nose) if span > max(SPAN_TRUSTED, abs(nose)) else nose


@dataclass(frozen=True)
class PoseCall:
    """The decision for one face: what to do and, unless it is a plain swap, why."""

    verdict: Verdict
    yaw: float
    reason: str = ""


def judge(kps: np.ndarray, warn_yaw: float, max_yaw: float, frontal: float = FRONTAL_RATIO) -> PoseCall:
    """swap below `warn_yaw`, warn up to `max_yaw`, skip beyond (limits in degrees of |yaw|).

    `frontal` is the track's frontal span ratio (`frontal_ratio`)."""
    yaw = turn_degrees(kps, frontal)
    turn = abs(yaw)
    if turn > max_yaw:
        return PoseCall("skip", yaw, f"head turned {turn:.0f}° (limit {max_yaw:g}°, --max-yaw)")
    if turn > warn_yaw:
        return PoseCall("warn", yaw, f"head turned {turn:.0f}° (past {warn_yaw:g}°, --warn-yaw)")
    return PoseCall("swap", yaw)
