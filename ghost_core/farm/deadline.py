"""Deadline 10 CommandLine-plugin job files: a track job, then render jobs that depend on it.

Deadline has no step-within-a-job dependency for the CommandLine plugin, and a pre-job script
would have to be a Deadline-side Python file, so the shot is two (or more) jobs submitted in one
call: `deadlinecommand -SubmitMultipleJobs -dependent -job A.job A.plugin -job B.job B.plugin`
makes every job wait for the one before it, so render waits for track without knowing its job ID.

A render job's tasks get `--frames <STARTFRAME>-<ENDFRAME>`; for a stepped range the step is
appended (`...x2`), which names exactly the task's frames. A frame list with gaps becomes one
render job per evenly stepped segment, because a task spanning a gap would render the frames in
it (with `-dependent` those jobs run one after another; the chunks inside each still spread over
the farm). Task retries: `FailureDetectionTaskErrors` is the number of errors after which a task fails,
so it is the retries plus one.
"""

from __future__ import annotations

from pathlib import Path

from ghost_core.errors import UsageError
from ghost_core.farm.model import FarmJob, Run

QUOTE = "<QUOTE>"  # Deadline replaces it with a double quote when it builds the command line
_WHITESPACE = " \t"


def quote_argument(arg: str) -> str:
    """One argument in Deadline's `Arguments` line (Windows/.NET command-line rules, `"` as <QUOTE>).

    Deadline hands the line to the OS as one string that is split the Microsoft way: a quoted
    argument keeps spaces; inside it a double quote is `\\"` and backslashes before a quote (or the
    closing quote) are doubled. Plain arguments are left as they are, so the file stays readable.
    """
    if arg and not any(c in arg for c in _WHITESPACE + '"'):
        return arg
    out: list[str] = []
    backslashes = 0
    for char in arg:
        if char == "\\":
            backslashes += 1
            continue
        if char == '"':
            out.append("\\" * (2 * backslashes + 1) + QUOTE)
        else:
            out.append("\\" * backslashes + char)
        backslashes = 0
    out.append("\\" * (2 * backslashes))
    return QUOTE + "".join(out) + QUOTE


def arguments_line(argv: list[str]) -> str:
    return " ".join(quote_argument(a) for a in argv)


def _key_values(pairs: list[tuple[str, object]]) -> str:
    lines = []
    for key, value in pairs:
        text = str(value)
        if "\n" in text or "\r" in text:
            raise UsageError(f"Deadline job files hold one line per key; {key} has a line break: {text!r}")
        lines.append(f"{key}={text}")
    return "\n".join(lines) + "\n"


def _job_info(job: FarmJob, name: str, frames: str, chunk: int) -> str:
    p = job.placement
    pairs: list[tuple[str, object]] = [
        ("Plugin", "CommandLine"),
        ("Name", f"GhostSwap {job.safe_name} {name}"),
        ("BatchName", f"GhostSwap {job.safe_name}"),
        ("Frames", frames),
        ("ChunkSize", chunk),
        ("Priority", job.priority),
    ]
    if p.pool:
        pairs.append(("Pool", p.pool))
    if p.group:
        pairs.append(("Group", p.group))
    if p.tags:
        pairs.append(("LimitGroups", ",".join(p.tags)))
    pairs += [
        ("MachineLimit", p.machine_limit),
        ("OverrideTaskFailureDetection", "True"),
        ("FailureDetectionTaskErrors", job.retries + 1),
    ]
    return _key_values(pairs)


def _plugin_info(job: FarmJob, argv: list[str]) -> str:
    return _key_values(
        [
            ("Executable", argv[0]),
            ("Arguments", arguments_line(argv[1:])),
            ("StartupDirectory", str(Path(job.job_file).parent)),
            ("ShellExecute", "False"),
        ]
    )


def _frames_token(segment: Run) -> str:
    token = "<STARTFRAME>-<ENDFRAME>"
    return token + (f"x{segment.step}" if segment.step > 1 else "")


def build(job: FarmJob) -> dict[str, str]:
    """Files to write (name -> text), in submission order: track.job/.plugin, then render ones."""
    files = {
        "track.job": _job_info(job, "track", str(job.frames[0]), 1),
        "track.plugin": _plugin_info(job, job.track_argv()),
    }
    segments = job.segments
    for i, seg in enumerate(segments, start=1):
        stem = "render" if len(segments) == 1 else f"render-{i}"
        label = "render" if len(segments) == 1 else f"render {seg.spec}"
        files[f"{stem}.job"] = _job_info(job, label, seg.spec, job.chunk_size)
        files[f"{stem}.plugin"] = _plugin_info(job, job.render_argv(_frames_token(seg)))
    return files


def submit_commands(job: FarmJob, out_dir: Path) -> list[list[str]]:
    """The one `deadlinecommand` call that submits every job, each depending on the previous one."""
    argv = ["deadlinecommand", "-SubmitMultipleJobs", "-dependent"]
    names = list(build(job))
    for job_name, plugin_name in zip(names[::2], names[1::2], strict=True):
        argv += ["-job", str(Path(out_dir) / job_name), str(Path(out_dir) / plugin_name)]
    return [argv]
