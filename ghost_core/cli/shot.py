"""`ghostswap track`, `render` and `demo`: parsing only; the engine modules own the logic."""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path
from typing import Any

from ghost_core.errors import UsageError
from ghost_core.executors.base import EXECUTORS
from ghost_core.io.plate import check_plate
from ghost_core.knobs import SWAPPERS, Knob, ShotSettings, knob_fields, out_of_range

# Job sections whose CLI options are shown as one group in --help.
_GROUPS = {
    "targets": "which faces to replace (default: the only face in the shot)",
    "matte": "matte overrides (default: GHOST's choice per track)",
}
_PARSE = {"int": int, "ints": int, "float": float}


def _add_knob(parser: argparse._ActionsContainer, name: str, knob: Knob) -> None:
    """One CLI option from its knob; every default is None so a job file's value shows through."""
    assert knob.cli is not None
    kwargs: dict[str, Any] = {"dest": name, "help": knob.help}
    if knob.kind == "bool":
        kwargs.update(action="store_true", default=None)
    elif knob.kind == "photo_groups":
        kwargs.update(action="append", nargs="+", metavar=knob.metavar)
    else:
        kwargs["metavar"] = knob.metavar
        if knob.kind in ("paths", "ints"):
            kwargs["action"] = "append"
        if knob.kind in _PARSE:
            kwargs["type"] = _PARSE[knob.kind]
        if knob.choices:
            kwargs.update(choices=knob.choices, metavar=None)
    parser.add_argument(knob.cli, **kwargs)


def _shot_arguments(parser: argparse.ArgumentParser, command: str) -> None:
    """Shot options from the knob table; every one may also come from `--job FILE` (options win)."""
    parser.add_argument("--job", metavar="FILE", help="a GhostSwap job file (JSON); see docs/jobs.md")
    groups: dict[str, argparse._ActionsContainer] = {}
    for name, knob in knob_fields():
        if knob.cli is None or command not in knob.commands:
            continue
        title = _GROUPS.get(knob.section)
        where: argparse._ActionsContainer = parser
        if title:
            where = groups.get(title) or groups.setdefault(title, parser.add_argument_group(title))
        _add_knob(where, name, knob)


def _settings(args: argparse.Namespace, out: str | None) -> ShotSettings:
    """Settings from `--job` (with its output and track file decided) or from scratch, plus options."""
    if args.job:
        from ghost_core.jobs.cache import resolve_job
        from ghost_core.jobs.schema import load_job

        base = resolve_job(load_job(args.job)).settings
    else:
        if not args.plate or not args.sources:
            raise UsageError("give --plate and --source (or --job FILE)")
        base = ShotSettings(plate=args.plate, sources=[])
    # Every knob option given (plus render's --track); `--out` differs per command, set below.
    given = {
        name: getattr(args, name)
        for name, _ in knob_fields()
        if name != "out" and getattr(args, name, None) is not None
    }
    for name, knob in knob_fields():
        problem = out_of_range(knob, given.get(name)) if knob.cli else None
        if problem:
            raise UsageError(f"{knob.cli} {problem}")
    if "sources" in given:
        given["sources"] = [list(group) for group in given["sources"]]
    if out is not None:
        given["out"] = out
    return replace(base, **given)


def register(sub: argparse._SubParsersAction) -> None:
    track = sub.add_parser("track", help="analyse a whole shot once: faces, tracks, smoothing, mask settings")
    _shot_arguments(track, "track")
    track.add_argument("--out", metavar="TRACKFILE", help="track file to write (.json; default: the job's)")
    track.set_defaults(func=_track)

    render = sub.add_parser("render", help="swapped plate + ghost.matte layer for a frame range")
    _shot_arguments(render, "render")
    render.add_argument("--out", metavar="PATTERN", help="output EXRs: swap.####.exr (default: the job's)")
    render.add_argument(
        "--track", metavar="TRACKFILE", help="from `ghostswap track` (needed for farm chunks)"
    )
    scale = render.add_argument_group("scale-out (default: render in this process)")
    scale.add_argument(
        "--executor", choices=EXECUTORS.names(), default="local", help=EXECUTORS.help_text("local")
    )
    scale.add_argument(
        "--address", metavar="HOST:PORT", help="Ray head to join (default: start a private local Ray)"
    )
    scale.add_argument("--workers", type=int, metavar="N", help="Ray workers (default: one per GPU, or CPU)")
    scale.add_argument("--chunk", type=int, metavar="N", help="frames per Ray work item (default: 8)")
    render.set_defaults(func=_render)

    demo = sub.add_parser("demo", help="render a short built-in shot and a review contact sheet")
    demo.add_argument("--out", default="ghostswap-demo", metavar="DIR", help="folder for the demo outputs")
    demo.add_argument("--frames", type=int, default=12, metavar="N", help="length of the demo shot")
    demo.add_argument("--swapper", choices=SWAPPERS, default="auto")
    demo.set_defaults(func=_demo)


def _track(args: argparse.Namespace) -> dict[str, Any]:
    from ghost_core.engine.shot import track_command

    settings = _settings(args, None)
    out = args.out or settings.track
    if not out:
        raise UsageError("give --out TRACKFILE (or --job FILE)")
    # A job's own track file covers the whole plate, as bake's does (jobs/bake.job_track_frames).
    whole_shot = bool(args.job and not args.out)
    check_plate(settings.plate, None if whole_shot else settings.frames)  # before any model loads
    return track_command(replace(settings, track=None), out, whole_shot=whole_shot)


def _render(args: argparse.Namespace) -> dict[str, Any]:
    from ghost_core.executors import ExecutorOptions, open_executor

    settings = _settings(args, args.out)
    if args.job and not args.track and settings.track:
        if not Path(settings.track).is_file():
            settings = replace(settings, track=None)  # not tracked yet: analyse in memory, as without a job
        else:
            _check_job_track(settings)
    # Before any model loads; without a track file the whole shot is analysed, so all of it is read.
    check_plate(settings.plate, settings.frames if settings.track else None)
    options = ExecutorOptions(args.executor, args.address, args.workers, args.chunk)
    return open_executor(options).render(settings).to_dict()


def _check_job_track(settings: ShotSettings) -> None:
    """A job's own track file must cover the whole plate, or chunks would differ from a bake's frames."""
    from ghost_core.faces.trackfile import load_trackfile
    from ghost_core.jobs.bake import check_job_track

    check_job_track(load_trackfile(settings.track or ""), settings)


def _demo(args: argparse.Namespace) -> dict[str, Any]:
    from ghost_core.engine.demo import run_demo
    from ghost_core.review.build import ReviewOptions, build_review

    result = run_demo(args.out, frames=args.frames, swapper=args.swapper)
    # The review folder is built here, not in the engine: review reads jobs and engine output.
    options = ReviewOptions(
        Path(result["folder"]) / "review", name="demo", summary=result["summary"], sources=(result["source"],)
    )
    result["review_page"] = build_review(result["output"], options)["page"]
    if not args.json:  # the last line a newcomer sees: open it in a browser
        print(f"review page: {result['review_page']}", flush=True)
    return result
