"""The per-frame work a track file implies: which face, which source, which mask parameters.

Render reads only this plan and the frame itself, so every frame's pixels depend on nothing
else: the reason a chunk renders exactly what the whole shot renders.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np

from ghost_core.faces.pose import FRONTAL_RATIO, PoseCall, frontal_ratio, judge
from ghost_core.matte import MaskParams


@dataclass(frozen=True)
class FaceTask:
    """Replace track `track_id` on one frame with source person `source`."""

    source: int
    track_id: int
    kps: np.ndarray
    segment: int
    mask: MaskParams
    gain: float


@dataclass
class ShotPlan:
    plate: str
    size: tuple[int, int]
    frames: list[int | None]
    tasks: dict[int | None, list[FaceTask]] = field(default_factory=dict)
    digest: str = ""
    # Frames with a tracked face that no source replaces (told apart from frames without a face).
    unselected: frozenset[int | None] = frozenset()

    def tasks_at(self, frame: int | None) -> list[FaceTask]:
        return self.tasks.get(frame, [])

    @functools.cached_property
    def frontal(self) -> dict[int, float]:
        """Per track, its face's frontal span ratio (faces/pose.py), from the whole shot's key points."""
        kps: dict[int, list[np.ndarray]] = {}
        for tasks in self.tasks.values():
            for task in tasks:
                kps.setdefault(task.track_id, []).append(task.kps)
        return {track: frontal_ratio(points) for track, points in kps.items()}

    def pose(self, task: FaceTask, warn_yaw: float, max_yaw: float) -> PoseCall:
        """Swap, warn or skip `task`'s face by its head turn (faces/pose.py)."""
        return judge(task.kps, warn_yaw, max_yaw, self.frontal.get(task.track_id, FRONTAL_RATIO))
