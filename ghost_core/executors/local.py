"""The local executor: load the shot once and render every requested frame in this process."""

from __future__ import annotations

from collections.abc import Sequence

from ghost_core.engine.render import requested_frames
from ghost_core.engine.shot import Shot, render_shot, shot_track
from ghost_core.engine.summary import RenderSummary
from ghost_core.executors.base import Executor
from ghost_core.faces.trackfile import TrackFile
from ghost_core.knobs import ShotSettings


class LocalExecutor(Executor):
    """Today's in-process render: one Shot serves both the analysis (if needed) and the frames."""

    name = "local"

    def render(
        self,
        settings: ShotSettings,
        track: TrackFile | None = None,
        *,
        frames: Sequence[int | None] | None = None,
    ) -> RenderSummary:
        wanted = requested_frames(settings) if frames is None else list(frames)
        shot = Shot(settings)
        tf = track if track is not None else shot_track(shot, settings)
        # One chunk, merged like the Ray driver merges its chunks: both executors report alike.
        return RenderSummary.merge([render_shot(shot, settings, tf, wanted)])
