"""Per-track appearance for the occlusion estimate, from a fixed sample of the whole track.

The sample is chosen from the plan (the track file), never from the frames being rendered, so a
farm chunk builds the same appearance, bit for bit, as a whole render: chunk-invariant pixels.
Built lazily on the writer thread (the only user of the renderer's landmarker) and kept for the
renderer's life.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ghost_core.engine.crops import cut_face
from ghost_core.io.exr import read_frame
from ghost_core.io.sequence import FramePattern
from ghost_core.occlusion import Appearance, build_appearance

if TYPE_CHECKING:
    from ghost_core.engine.render import Renderer

SAMPLES = 16  # frames per track: enough for a robust median, few enough to read per chunk


def sample_frames(renderer: Renderer, track_id: int) -> list[int | None]:
    """Up to SAMPLES frames of the track, evenly spaced over all of its frames in the plan."""
    plan = renderer.plan
    frames = [f for f in plan.frames if any(t.track_id == track_id for t in plan.tasks_at(f))]
    if len(frames) <= SAMPLES:
        return frames
    picks = np.unique(np.linspace(0, len(frames) - 1, SAMPLES).round().astype(int))
    return [frames[i] for i in picks]


class Appearances:
    """Track id → `Appearance`, built on first use (None when no sampled frame has the face)."""

    def __init__(self) -> None:
        self._cache: dict[int, Appearance | None] = {}

    def get(self, renderer: Renderer, track_id: int) -> Appearance | None:
        if track_id not in self._cache:
            self._cache[track_id] = self._build(renderer, track_id)
        return self._cache[track_id]

    @staticmethod
    def _build(renderer: Renderer, track_id: int) -> Appearance | None:
        pattern = FramePattern.parse(renderer.settings.plate)
        crops = []
        for f in sample_frames(renderer, track_id):
            task = next(t for t in renderer.plan.tasks_at(f) if t.track_id == track_id)
            plate = read_frame(pattern.path(f))
            crop = cut_face(plate.rgba_source(), renderer.colours(plate), task.kps, task.gain)
            if crop is not None:
                crops.append(crop.seen)
        if not crops:
            return None
        return build_appearance(crops, renderer.landmarker.landmarks(np.stack(crops)))
