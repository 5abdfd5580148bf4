"""`ghostswap job check`: is everything a job reads there and readable? Nothing is rendered.

A host runs this on every knob change and a wrangler before submitting to a farm, so it must
say *everything* that is missing in one go (a fix-one-rerun loop over a farm queue costs hours)
and stay cheap: it opens each plate frame's header and the photos, but decodes no pixels and
loads no network. Paths are printed normalised (no `..`), as a user would type them.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from ghost_core.errors import GhostSwapError, InputError, ModelError
from ghost_core.io.plate import scan_headers
from ghost_core.io.sequence import FramePattern, compact_frames, parse_frame_spec
from ghost_core.jobs.schema import Job, job_to_dict, load_job
from ghost_core.knobs import ShotSettings

MAX_FRAME_PROBLEMS = 10  # unreadable frames listed one by one; the rest are counted in one line


@dataclass(frozen=True)
class Problem:
    """One missing or unusable input."""

    input: str  # "plate", "source photo", "target photo", "track file", "ocio config", "model", ...
    path: str  # normalised path (or a model name)
    reason: str
    kind: Literal["input", "model"] = "input"

    def line(self) -> str:
        return f"{self.input}: {self.path}: {self.reason}"


@dataclass
class JobCheck:
    """The summary `job check` prints, plus every problem found."""

    summary: dict[str, Any]
    problems: list[Problem]

    def error(self) -> GhostSwapError | None:
        """InputError when any input is missing, else ModelError for models only, else None."""
        if not self.problems:
            return None
        first = self.problems[0].line()
        more = f"; {len(self.problems) - 1} more listed above" if len(self.problems) > 1 else ""
        message = f"{self.summary['job']}: {len(self.problems)} problem(s): {first}{more}"
        details = {**self.summary, "problems": [asdict(p) for p in self.problems]}
        inputs = any(p.kind == "input" for p in self.problems)
        return (InputError if inputs else ModelError)(message, details=details)


def shown(path: str | os.PathLike[str] | None) -> str | None:
    """A path as printed: absolute and without `.`/`..` (lexically, so mount names stay as given)."""
    if path is None:
        return None
    text = os.fspath(path)
    if text.startswith("ocio://"):
        return text
    return os.path.normpath(os.path.abspath(text))


def _file_problem(what: str, path: str) -> Problem | None:
    """Missing, a folder, or not readable by this user."""
    p = Path(path)
    reason = None
    if not p.exists():
        reason = "not found"
    elif p.is_dir():
        reason = "is a folder, not a file"
    else:
        try:
            with p.open("rb") as handle:
                handle.read(1)
        except OSError as exc:
            reason = f"cannot be read ({exc.strerror or exc})"
    return Problem(what, shown(path) or path, reason) if reason else None


def host_writes_plate(job: Job) -> bool:
    """True when the plate lives in the job's cache node folder: a host (Nuke, Blender) writes it there
    when it bakes, and asks `job check` where results go before that, so "not there yet" is no error."""
    if not job.cache_root:
        return False
    from ghost_core.jobs.cache import safe_node_name

    node_dir = os.path.join(shown(job.cache_root) or "", safe_node_name(job.cache_node or "ghostswap"))
    plate = shown(job.settings.plate) or ""
    return os.path.commonpath([node_dir, plate]) == node_dir


def _plate_problems(settings: ShotSettings, host_written: bool = False) -> tuple[list[Problem], int]:
    """Missing and unreadable plate frames (headers only); returns the problems and the frame count.

    With `host_written`, a plate of which no frame exists yet is not a problem (see host_writes_plate).
    """
    pattern = FramePattern.parse(shown(settings.plate) or settings.plate)
    where = pattern.display()
    if host_written and not (pattern.discover() if pattern.is_sequence else pattern.path(None).exists()):
        return [], 0
    if not pattern.is_sequence:
        problem = _file_problem("plate", pattern.text)
        frames: list[int | None] = [] if problem else [None]
        problems = [problem] if problem else []
    else:
        problems = []
        if settings.frames is not None:
            try:
                wanted = parse_frame_spec(str(settings.frames))
            except GhostSwapError as exc:
                return [Problem("frames", str(settings.frames), str(exc))], 0
            frames = [f for f in wanted if pattern.path(f).is_file()]
            missing = [f for f in wanted if not pattern.path(f).is_file()]
            if missing:
                reason = (
                    f"{len(missing)} of {len(wanted)} frames missing: {compact_frames(missing)} "
                    f"(first: {pattern.path(missing[0])})"
                )
                problems.append(Problem("plate", where, reason))
        else:
            frames = list(pattern.discover())
            if not frames:
                reason = "no frames on disk match; check the folder and padding"
                problems.append(Problem("plate", where, reason))
    scan = scan_headers(pattern, frames, check_pixels=False)
    if scan.layout_problem:
        problems.append(Problem("plate", where, scan.layout_problem))
    unreadable = list(scan.unreadable.items())
    for frame, message in unreadable[:MAX_FRAME_PROBLEMS]:
        path = str(pattern.path(frame))
        problems.append(Problem("plate frame", path, message.removeprefix(f"{path}: ")))
    if len(unreadable) > MAX_FRAME_PROBLEMS:
        rest = [f for f, _ in unreadable[MAX_FRAME_PROBLEMS:] if f is not None]
        reason = f"{len(rest)} more frames cannot be read: {compact_frames(rest)}"
        problems.append(Problem("plate", where, reason))
    return problems, len(frames)


def _track_problem(track: str | None) -> Problem | None:
    """A track file the job names must be readable and valid if it exists (else bake makes it)."""
    if not track or not Path(track).exists():
        return None
    from ghost_core.faces.trackfile import load_trackfile

    try:
        load_trackfile(track)
    except GhostSwapError as exc:
        return Problem("track file", shown(track) or track, str(exc).removeprefix(f"{track}: "))
    return None


def _colour_problems(settings: ShotSettings) -> list[Problem]:
    """The OCIO config the render would load (job, else $OCIO) and the job's colour space in it."""
    source = settings.ocio or os.environ.get("OCIO") or None
    if source and not source.startswith("ocio://"):
        missing = _file_problem("ocio config", source)
        if missing:
            return [missing]
    if not source and not settings.colorspace:
        return []  # the built-in config, no named space: nothing that can be missing
    from ghost_core.color import load_config, resolve_colorspace

    try:
        config = load_config(source)
    except GhostSwapError as exc:
        return [Problem("ocio config", shown(source) or str(source), str(exc))]
    if settings.colorspace:
        try:
            resolve_colorspace(config, settings.colorspace)
        except GhostSwapError as exc:
            return [Problem("colour space", settings.colorspace, str(exc))]
    return []


def _model_problems(settings: ShotSettings) -> list[Problem]:
    """Models the job names (swapper.model), and GHOST's defaults when it asks for `ghost`."""
    wanted: list[str] = []
    if settings.model:
        wanted.append(settings.model)
    if settings.swapper == "ghost":
        from ghost_core.models_store import load_manifest

        try:
            manifest = load_manifest()
            defaults = ["arcface"] if settings.model else ["generator", "arcface"]
            wanted += [manifest.default(kind).name for kind in defaults]
        except GhostSwapError as exc:
            return [Problem("model", "manifest", str(exc), "model")]
    if not wanted:
        return []
    from ghost_core.models_store import resolve

    problems = []
    for name in dict.fromkeys(wanted):
        try:
            resolve(name)
        except GhostSwapError as exc:
            problems.append(Problem("model", name, str(exc), "model"))
    return problems


def check_job(job: Job, job_file: str | os.PathLike[str] | None = None) -> JobCheck:
    """Every input of `job` checked; the summary says where the results go when the photos allow."""
    s = job.settings
    host_written = host_writes_plate(job)
    problems, frame_count = _plate_problems(s, host_written)
    photos = [("source photo", p) for group in s.sources for p in group]
    photos += [("target photo", p) for p in s.targets]
    photo_problems = [p for p in (_file_problem(what, path) for what, path in photos) if p]
    problems += photo_problems
    track = _track_problem(s.track)
    problems += [track] if track else []
    problems += _colour_problems(s)
    problems += _model_problems(s)

    output, track_file, digest, cache_dir = s.out, s.track, None, None
    if not photo_problems:  # the cache folder and track file are named by the photos' contents
        from ghost_core.jobs.cache import resolve_job

        resolved = resolve_job(job)
        output, track_file = resolved.settings.out, resolved.settings.track
        digest, cache_dir = resolved.params_hash, resolved.cache_dir
    source = job_file if job_file is not None else job.path
    summary = {
        "job": shown(source) if source is not None else "job",
        "plate": shown(s.plate),
        "plate_frames": frame_count,
        "plate_written_by_host": host_written,
        "output": shown(output),
        "track_file": shown(track_file),
        "track_file_exists": bool(track_file and Path(track_file).is_file()),
        "params_hash": digest,
        "cache_dir": shown(cache_dir),
        "frames": s.frames,
    }
    return JobCheck(summary, problems)


def check_job_file(path: str | os.PathLike[str]) -> JobCheck:
    """Load (schema errors raise as before) and check a job file."""
    return check_job(load_job(path), path)


def shown_job(job: Job) -> dict[str, Any]:
    """`job_to_dict` with every path normalised for printing."""
    data = job_to_dict(job)
    for key in ("plate", "output", "track_file"):
        data[key] = shown(data.get(key))
    data["sources"] = [[shown(p) for p in group] for group in data["sources"]]
    data["targets"]["reference_photos"] = [shown(p) for p in data["targets"]["reference_photos"]]
    data["color"]["ocio"] = shown(data["color"]["ocio"])
    if "cache" in data:
        data["cache"]["root"] = shown(data["cache"]["root"])
    return data
