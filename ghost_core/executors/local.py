"""The local executor: load the shot once and render every requested frame in this process."""

from __future__ import annotations

from typing import Any

from ghost_core.engine.shot import Shot, render_shot, shot_track
from ghost_core.executors.base import Executor
from ghost_core.faces.trackfile import TrackFile
from ghost_core.knobs import ShotSettings


class LocalExecutor(Executor):
    """Today's in-process render: one Shot serves both the analysis (if needed) and the frames."""

    name = "local"

    def render(self, settings: ShotSettings, track: TrackFile | None = None) -> dict[str, Any]:
        shot = Shot(settings)
        tf = track if track is not None else shot_track(shot, settings)
        return render_shot(shot, settings, tf)
