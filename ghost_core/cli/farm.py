"""`ghostswap farm submit` and `ghostswap farm chunks`: parsing only; the builders own the logic.

`submit` writes a manager's submission files and prints the command that submits them; it never
talks to a farm server itself, so it runs on any machine and in tests.
"""

from __future__ import annotations

import argparse
import shlex
from pathlib import Path
from typing import Any

from ghost_core.errors import OutputError, UsageError
from ghost_core.farm import FARM_MANAGERS, FarmManager
from ghost_core.farm.model import (
    DEFAULT_CHUNK,
    DEFAULT_PRIORITY,
    DEFAULT_RETRIES,
    FarmJob,
    Placement,
    default_executable,
    default_name,
    job_frames,
)


def register(sub: argparse._SubParsersAction) -> None:
    farm = sub.add_parser("farm", help="write render-farm submission files for a job (see docs/farm.md)")
    commands = farm.add_subparsers(dest="farm_command", metavar="SUBCOMMAND", required=True)

    submit = commands.add_parser(
        "submit", help=f"write a track job and chunked render jobs for {FARM_MANAGERS.choices_text()}"
    )
    _job_arguments(submit)
    submit.add_argument(
        "--manager", required=True, choices=FARM_MANAGERS.names(), help=FARM_MANAGERS.help_text()
    )
    submit.add_argument("--out", required=True, metavar="DIR", help="folder for the submission files")
    submit.add_argument("--name", help="job name on the farm (default: the job's host node, else file name)")
    submit.add_argument(
        "--executable",
        metavar="CMD",
        help="ghostswap command on the farm machines, split like a shell would (default: ghostswap "
        "when it is on PATH, else this ghostswap by absolute path)",
    )
    submit.add_argument("--priority", type=int, default=DEFAULT_PRIORITY, help="0-100 (default 50)")
    submit.add_argument(
        "--retries", type=int, default=DEFAULT_RETRIES, help="extra attempts of a failed task (default 2)"
    )
    place = submit.add_argument_group("GPU placement (each manager uses what it has; see docs/farm.md)")
    place.add_argument("--pool", help="Deadline pool")
    place.add_argument("--group", help="Deadline group of GPU machines")
    place.add_argument("--service", help="OpenCue service / Tractor service key expression")
    place.add_argument(
        "--tag", action="append", default=[], help="OpenCue host tag / Tractor or Deadline limit (repeat)"
    )
    place.add_argument("--gpus", type=int, default=1, help="GPUs per task (default 1; 0 for CPU)")
    place.add_argument("--gpu-memory", type=float, metavar="GIB", help="minimum GPU memory")
    place.add_argument("--memory", type=float, metavar="GIB", help="minimum host memory")
    place.add_argument("--cores", type=int, help="CPU cores per task")
    place.add_argument("--machine-limit", type=int, default=0, help="Deadline MachineLimit (0: none)")
    place.add_argument("--show", default="testing", help="OpenCue show (default: testing)")
    place.add_argument("--shot", help="OpenCue shot (default: the job name)")
    submit.set_defaults(func=_submit)

    chunks = commands.add_parser("chunks", help="list the render chunks a farm job would have")
    _job_arguments(chunks)
    chunks.set_defaults(func=_chunks)


def _job_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--job", required=True, metavar="FILE", help="GhostSwap job file (JSON)")
    parser.add_argument(
        "--frames", metavar="SPEC", help="1001-1100, 1001-1100x2, 1001,1005 (default: the job's, else all)"
    )
    parser.add_argument(
        "--chunk", type=int, default=DEFAULT_CHUNK, metavar="N", help="frames per render task (default 10)"
    )


def _farm_job(args: argparse.Namespace) -> FarmJob:
    job_file = Path(args.job).resolve()
    frames = job_frames(job_file, args.frames)
    extra: dict[str, Any] = {}
    if hasattr(args, "manager"):
        if args.executable is None:
            executable, args.executable_note = default_executable()
        else:
            try:
                executable = tuple(shlex.split(args.executable))
            except ValueError as exc:
                raise UsageError(f"--executable {args.executable!r}: {exc}") from None
        extra = {
            "retries": args.retries,
            "priority": args.priority,
            "executable": executable,
            "show": args.show,
            "shot": args.shot,
            "placement": Placement(
                pool=args.pool,
                group=args.group,
                service=args.service,
                tags=tuple(args.tag),
                gpus=args.gpus,
                gpu_memory_gib=args.gpu_memory,
                memory_gib=args.memory,
                cores=args.cores,
                machine_limit=args.machine_limit,
            ),
        }
    name = getattr(args, "name", None) or default_name(job_file)
    return FarmJob(job_file, name, tuple(frames), chunk_size=args.chunk, **extra)


def builder(manager: str) -> FarmManager:
    """The module that builds `manager`'s files: `build(job)` and `submit_commands(job, out)`."""
    return FARM_MANAGERS.create(manager)


def write_files(out: Path, files: dict[str, str]) -> list[Path]:
    """Write each file atomically (a half-written job file must never reach a farm)."""
    from ghost_core.io.atomic import atomic_output

    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{out}: cannot create the folder ({exc.strerror or exc})") from None
    written = []
    for name, text in files.items():
        target = out / name
        try:
            with atomic_output(target) as tmp:
                tmp.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise OutputError(f"{target}: cannot write ({exc.strerror or exc}); check the folder") from None
        written.append(target)
    return written


def _submit(args: argparse.Namespace) -> dict[str, Any]:
    module = builder(args.manager)
    job = _farm_job(args)
    out = Path(args.out).resolve()
    files = module.build(job)
    written = write_files(out, files)
    submit = [shlex.join(argv) for argv in module.submit_commands(job, out)]
    chunks = job.chunks
    note = getattr(args, "executable_note", None)
    if not args.json:
        print(f"{args.manager}: track + {len(chunks)} render chunks of frames {job.frame_spec}")
        for path in written:
            print(f"  wrote {path}")
        print("submit with:" if len(submit) == 1 else "submit with one of:")
        for line in submit:
            print(f"  {line}")
        if note:
            print(note)
    return {
        "manager": args.manager,
        "job_file": str(job.job_file),
        "frames": job.frame_spec,
        "chunks": [c.spec for c in chunks],
        "files": [str(p) for p in written],
        "submit": submit,
        "executable": list(job.executable),
        "note": note,
    }


def _chunks(args: argparse.Namespace) -> dict[str, Any]:
    job = _farm_job(args)
    chunks = [c.spec for c in job.chunks]
    if not args.json:
        for spec in chunks:
            print(spec)
    return {"job_file": str(job.job_file), "frames": job.frame_spec, "chunks": chunks}
