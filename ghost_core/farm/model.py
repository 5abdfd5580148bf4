"""The farm job every manager's files are built from: track the whole shot once, then render chunks.

GHOST smooths landmarks over neighbouring frames, so a chunk rendered on its own would differ at
its edges. The track step therefore analyses the whole shot into the job's track file, and every
render chunk reads that file: any chunk renders the same pixels as a whole-shot render. The
builders for Open Job Description, Deadline, OpenCue and Tractor only translate this model.

Chunks never cross a change of step or a gap in the frame list, so each one is a plain
`first-last` or `first-lastxstep` range that every manager's start/end tokens can express.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

from ghost_core.errors import UsageError
from ghost_core.io.sequence import FramePattern, parse_frame_spec, resolve_frames

DEFAULT_CHUNK = 10
DEFAULT_PRIORITY = 50
DEFAULT_RETRIES = 2


@dataclass(frozen=True)
class Run:
    """Frames `first, first+step, ..., last`: one segment of the shot or one render chunk."""

    first: int
    last: int
    step: int = 1

    @property
    def frames(self) -> list[int]:
        return list(range(self.first, self.last + 1, self.step))

    @property
    def spec(self) -> str:
        """GhostSwap / Deadline / OpenCue syntax: `1001`, `1001-1010`, `1001-1019x2`."""
        if self.first == self.last:
            return str(self.first)
        return f"{self.first}-{self.last}" + (f"x{self.step}" if self.step > 1 else "")

    @property
    def openjd(self) -> str:
        """Open Job Description range-expression syntax (`:` for the step)."""
        return self.spec.replace("x", ":")


def runs_of(frames: list[int]) -> list[Run]:
    """Split sorted unique frames into maximal evenly stepped runs (greedy, left to right)."""
    runs: list[Run] = []
    i = 0
    while i < len(frames):
        first = frames[i]
        if i + 1 == len(frames):
            runs.append(Run(first, first))
            break
        step = frames[i + 1] - first
        j = i + 1
        while j + 1 < len(frames) and frames[j + 1] - frames[j] == step:
            j += 1
        runs.append(Run(first, frames[j], step))
        i = j + 1
    return runs


def chunk_runs(segments: list[Run], size: int) -> list[Run]:
    """Each segment cut into runs of at most `size` frames (the last one of a segment may be short)."""
    if size < 1:
        raise UsageError(f"--chunk {size}: a chunk needs at least one frame")
    chunks = []
    for seg in segments:
        frames = seg.frames
        for start in range(0, len(frames), size):
            group = frames[start : start + size]
            chunks.append(Run(group[0], group[-1], seg.step if len(group) > 1 else 1))
    return chunks


@dataclass(frozen=True)
class Placement:
    """Where the work may run: each manager uses the fields it has a notion of (docs/farm.md)."""

    pool: str | None = None  # Deadline pool
    group: str | None = None  # Deadline group (machines with a GPU)
    service: str | None = None  # OpenCue service, Tractor service key expression
    tags: tuple[str, ...] = ()  # OpenCue host tags, Tractor limit tags, Deadline limit groups
    gpus: int = 1  # OpenJD amount.worker.gpu, OpenCue gpus
    gpu_memory_gib: float | None = None  # OpenJD amount.worker.gpu.memory, OpenCue gpu_memory
    memory_gib: float | None = None  # OpenJD amount.worker.memory, OpenCue memory
    cores: int | None = None  # OpenJD amount.worker.vcpu, OpenCue cores
    machine_limit: int = 0  # Deadline MachineLimit (0 = no limit)


@dataclass(frozen=True)
class FarmJob:
    """One shot on a farm: `track` over the whole shot, then `render` chunks that depend on it."""

    job_file: Path  # absolute: farm machines do not share the submitter's working folder
    name: str
    frames: tuple[int, ...]
    chunk_size: int = DEFAULT_CHUNK
    retries: int = DEFAULT_RETRIES  # extra attempts per task after the first failure
    priority: int = DEFAULT_PRIORITY  # 0-100, Deadline's scale; passed through to the others
    placement: Placement = field(default_factory=Placement)
    executable: tuple[str, ...] = ("ghostswap",)  # argv prefix, e.g. ("/opt/gs/bin/python", "-m", ...)
    show: str = "testing"  # OpenCue show (the sandbox's default show)
    shot: str | None = None  # OpenCue shot (default: the job name)

    def __post_init__(self) -> None:
        if not self.frames:
            raise UsageError(f"{self.job_file}: no frames to render")
        if self.chunk_size < 1:
            raise UsageError(f"--chunk {self.chunk_size}: a chunk needs at least one frame")
        if self.retries < 0:
            raise UsageError(f"--retries {self.retries}: give 0 or more")
        if not 0 <= self.priority <= 100:
            raise UsageError(f"--priority {self.priority}: give 0 (lowest) to 100 (highest)")
        if self.placement.gpus < 0:
            raise UsageError(f"--gpus {self.placement.gpus}: give 0 or more")
        if not self.executable or not self.executable[0]:
            raise UsageError("--executable: give the ghostswap command (e.g. /opt/ghostswap/bin/ghostswap)")

    @property
    def segments(self) -> list[Run]:
        return runs_of(list(self.frames))

    @property
    def chunks(self) -> list[Run]:
        return chunk_runs(self.segments, self.chunk_size)

    @property
    def frame_spec(self) -> str:
        return ",".join(seg.spec for seg in self.segments)

    @property
    def openjd_range(self) -> str:
        return ",".join(seg.openjd for seg in self.segments)

    @property
    def safe_name(self) -> str:
        """The name with only letters, digits, `_`, `-` and `.` (job and layer names on every farm)."""
        return re.sub(r"[^A-Za-z0-9._-]+", "_", self.name).strip("._-") or "ghostswap"

    def track_argv(self) -> list[str]:
        return [*self.executable, "track", "--job", str(self.job_file)]

    def render_argv(self, frames: str) -> list[str]:
        """`frames` is a chunk spec or the manager's token for it (`<STARTFRAME>-<ENDFRAME>`, ...)."""
        return [*self.executable, "render", "--job", str(self.job_file), "--frames", frames]


def job_frames(job_file: str | Path, frames: str | None) -> list[int]:
    """Frames to put on the farm: `frames`, else the job's `frames`, else every plate frame on disk."""
    from ghost_core.jobs.schema import load_job

    job = load_job(job_file)
    spec = frames if frames is not None else job.settings.frames
    if spec is not None:
        return parse_frame_spec(str(spec))
    pattern = FramePattern.parse(job.settings.plate)
    if not pattern.is_sequence:
        raise UsageError(f"{job.settings.plate}: a farm job needs a frame sequence such as plate.####.exr")
    return [f for f in resolve_frames(pattern, None) if f is not None]


def default_name(job_file: str | Path) -> str:
    """The host's node name when the job has one (`host.node`), else the job file's name."""
    from ghost_core.jobs.schema import load_job

    job = load_job(job_file)
    node = job.host.get("node") if isinstance(job.host, dict) else None
    return str(node) if node else Path(job_file).stem


def default_executable() -> tuple[tuple[str, ...], str | None]:
    """The ghostswap command for farm tasks when `--executable` is not given, and a note, if any.

    `ghostswap` when it is on PATH here (the portable choice: each worker finds its own install).
    Otherwise a bare `ghostswap` would fail on the workers with "not found" too, so the running
    CLI is named by absolute path: this console script, or this interpreter with
    `-m ghost_core.cli`. That path must exist on the workers (a shared install), so it is said.
    """
    if shutil.which("ghostswap"):
        return ("ghostswap",), None
    argv0 = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    python = os.path.abspath(sys.executable)
    beside = Path(python).with_name("ghostswap")
    if argv0 is not None and argv0.name.startswith("ghostswap") and argv0.is_file():
        command: tuple[str, ...] = (os.path.abspath(argv0),)
    elif argv0 is not None and argv0.parts[-3:] == ("ghost_core", "cli", "__main__.py"):
        command = (python, "-m", "ghost_core.cli")
    elif beside.is_file() and os.access(beside, os.X_OK):
        command = (str(beside),)
    else:
        command = (python, "-m", "ghost_core.cli")
    note = (
        f"note: `ghostswap` is not on PATH here, so the farm tasks run {' '.join(command)}; "
        "it must exist on the workers too (or pass --executable)"
    )
    return command, note
