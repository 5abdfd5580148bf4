"""`bake`: run a whole job (track when needed, then render) with models loaded once.

This is what hosts and the warm worker call. The track step covers the whole shot and is
redone only when its file is missing, older than a plate frame or a photo (a host re-wrote
the plate), or made over other frames than the plate has now (`job_track_problem`), so
re-baking after a matte tweak only re-renders. Rendering resumes: finished frames
whose settings digest still matches are kept.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ghost_core.console import log
from ghost_core.errors import TrackFileError
from ghost_core.io.plate import check_plate
from ghost_core.io.sequence import FramePattern, compact_frames, resolve_frames
from ghost_core.jobs.cache import ResolvedJob, resolve_job
from ghost_core.jobs.schema import Job
from ghost_core.knobs import ShotSettings

if TYPE_CHECKING:
    from ghost_core.engine.shot import Shot
    from ghost_core.faces.trackfile import TrackFile


def _newest_input(settings: ShotSettings) -> int:
    """Latest modification time (ns) of the plate frames and photos the track step reads."""
    pattern = FramePattern.parse(settings.plate)
    paths = [pattern.path(f) for f in resolve_frames(pattern, None)]
    paths += [Path(p) for group in settings.sources for p in group] + [Path(p) for p in settings.targets]
    return max((p.stat().st_mtime_ns for p in paths if p.exists()), default=0)


def job_track_frames(settings: ShotSettings) -> list[int]:
    """The one rule for a job's track file: it covers every plate frame on disk, whatever `frames` says.

    The farm's Track step and `bake` both write `track-<hash>.json`; analysing the same frames
    makes them write the same file, and any chunk of the job then renders what a whole render does.
    """
    from ghost_core.engine.shot import SINGLE

    pattern = FramePattern.parse(settings.plate)
    return [SINGLE if f is None else f for f in resolve_frames(pattern, None)]


def job_track_problem(tf: TrackFile, settings: ShotSettings) -> str | None:
    """Why a job's track file `tf` is not over the frames `job_track_frames` names, or None."""
    plate = job_track_frames(settings)
    if list(tf.frames) == plate:
        return None
    return (
        f"{settings.track} was tracked over frames {compact_frames(list(tf.frames))}, but a job's track "
        f"covers the whole plate, {compact_frames(plate)}; re-run `ghostswap track --job` (or bake)"
    )


def check_job_track(tf: TrackFile, settings: ShotSettings) -> None:
    """Refuse a job's track file made over other frames than the plate has (before any frame is written)."""
    problem = job_track_problem(tf, settings)
    if problem:
        raise TrackFileError(problem)


def current_track(settings: ShotSettings) -> TrackFile | None:
    """The job's track file if it is still good for this plate and these photos, else None (re-track)."""
    from ghost_core.faces.trackfile import load_trackfile

    track = Path(settings.track or "")
    if not track.is_file() or track.stat().st_mtime_ns < _newest_input(settings):
        return None
    tf = load_trackfile(track)
    problem = job_track_problem(tf, settings)
    if problem:
        log.info("%s", problem.split(";")[0])
        return None
    return tf


def bake(job: Job | ResolvedJob, frames: str | None = None, shot: Shot | None = None) -> dict[str, Any]:
    """Track (if stale) and render `frames` (a spec; default: the job's) of a job; returns the summary.

    `shot` is an already loaded `Shot` for the same sources and models (the warm worker's), which
    may last have served another plate: this job's settings go to it as arguments, never into it.
    Without it one is loaded here.
    """
    from ghost_core.engine.render import requested_frames
    from ghost_core.engine.shot import Shot, render_shot
    from ghost_core.faces.trackfile import save_trackfile

    resolved = job if isinstance(job, ResolvedJob) else resolve_job(job)
    settings = resolved.settings
    wanted = requested_frames(settings, frames)
    started = time.perf_counter()
    check_plate(settings.plate)  # the whole shot may be re-tracked: every frame, before models load
    if shot is None:
        shot = Shot(settings)
    tf = current_track(settings)
    retracked = tf is None
    if tf is None:
        log.info("tracking the whole shot into %s", settings.track)
        tf = shot.analyse(settings=settings)
        save_trackfile(settings.track, tf)
    summary = render_shot(shot, settings, tf, wanted)
    return {
        **summary.to_dict(),
        "track_file": settings.track,
        "tracked": retracked,
        "params_hash": resolved.params_hash,
        "cache_dir": str(resolved.cache_dir) if resolved.cache_dir else None,
        "seconds_total": round(time.perf_counter() - started, 3),
    }
