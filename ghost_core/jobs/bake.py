"""`bake`: run a whole job (track when needed, then render) with models loaded once.

This is what hosts and the warm worker call. The track step covers the whole shot and is
redone only when its file is missing or older than a plate frame or a photo (a host re-wrote
the plate), so re-baking after a matte tweak only re-renders. Rendering resumes: finished frames
whose settings digest still matches are kept.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ghost_core.console import log
from ghost_core.io.plate import check_plate
from ghost_core.io.sequence import FramePattern, resolve_frames
from ghost_core.jobs.cache import ResolvedJob, resolve_job
from ghost_core.jobs.schema import Job
from ghost_core.knobs import ShotSettings

if TYPE_CHECKING:
    from ghost_core.engine.shot import Shot


def _newest_input(settings: ShotSettings) -> int:
    """Latest modification time (ns) of the plate frames and photos the track step reads."""
    pattern = FramePattern.parse(settings.plate)
    paths = [pattern.path(f) for f in resolve_frames(pattern, None)]
    paths += [Path(p) for group in settings.sources for p in group] + [Path(p) for p in settings.targets]
    return max((p.stat().st_mtime_ns for p in paths if p.exists()), default=0)


def track_is_current(settings: ShotSettings) -> bool:
    track = Path(settings.track or "")
    return track.is_file() and track.stat().st_mtime_ns >= _newest_input(settings)


def bake(job: Job | ResolvedJob, frames: str | None = None, shot: Shot | None = None) -> dict[str, Any]:
    """Track (if stale) and render `frames` (a spec; default: the job's) of a job; returns the summary.

    `shot` is an already loaded `Shot` for the same sources and models (the warm worker's), which
    may last have served another plate: this job's settings go to it as arguments, never into it.
    Without it one is loaded here.
    """
    from ghost_core.engine.render import requested_frames
    from ghost_core.engine.shot import Shot, render_shot
    from ghost_core.faces.trackfile import load_trackfile, save_trackfile

    resolved = job if isinstance(job, ResolvedJob) else resolve_job(job)
    settings = resolved.settings
    wanted = requested_frames(settings, frames)
    started = time.perf_counter()
    check_plate(settings.plate)  # the whole shot may be re-tracked: every frame, before models load
    if shot is None:
        shot = Shot(settings)
    retracked = not track_is_current(settings)
    if retracked:
        log.info("tracking the whole shot into %s", settings.track)
        tf = shot.analyse(settings=settings)
        save_trackfile(settings.track, tf)
    else:
        tf = load_trackfile(settings.track)
    summary = render_shot(shot, settings, tf, wanted)
    return {
        **summary.to_dict(),
        "track_file": settings.track,
        "tracked": retracked,
        "params_hash": resolved.params_hash,
        "cache_dir": str(resolved.cache_dir) if resolved.cache_dir else None,
        "seconds_total": round(time.perf_counter() - started, 3),
    }
