"""`ghostswap track`, `render` and `demo`: parsing only; the engine modules own the logic."""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path
from typing import Any

from ghost_core.engine.settings import SWAPPERS, ShotSettings
from ghost_core.errors import UsageError
from ghost_core.executors.base import EXECUTORS


def _shot_arguments(parser: argparse.ArgumentParser) -> None:
    """Shot options; every one may also come from `--job FILE` (options given here win)."""
    parser.add_argument("--job", metavar="FILE", help="a GhostSwap job file (JSON); see docs/jobs.md")
    parser.add_argument("--plate", metavar="PATTERN", help="plate EXRs: shot.####.exr")
    parser.add_argument(
        "--source",
        action="append",
        nargs="+",
        metavar="IMG",
        help="photo(s) of one new face (several are averaged); repeat --source for more people",
    )
    parser.add_argument("--frames", metavar="SPEC", help="1001-1100, 1001-1100x2, 1001,1005 (default: all)")
    pick = parser.add_argument_group("which faces to replace (default: the only face in the shot)")
    pick.add_argument("--target", action="append", metavar="REF_IMG", help="photo of the face to replace")
    pick.add_argument("--track-id", action="append", type=int, metavar="N", help="track id from `track`")
    pick.add_argument("--all", dest="all_tracks", action="store_true", default=None, help="every face")
    parser.add_argument("--swapper", choices=SWAPPERS, help="auto (default): ghost when installed")
    parser.add_argument("--model", metavar="NAME", help="generator from `ghostswap models list`")
    parser.add_argument(
        "--enhance", action="store_true", default=None, help="run GHOST's face enhancer after the swap"
    )
    parser.add_argument("--detector", help="auto (default), scrfd, retinaface or a .onnx SCRFD file")
    parser.add_argument("--landmarker", help="auto (default), 106 or mesh")
    parser.add_argument("--colorspace", metavar="NAME", help="plate colour space (default: metadata, role)")
    parser.add_argument("--ocio", metavar="CONFIG", help="OCIO config (default: $OCIO, then built-in)")
    parser.add_argument("--backend", choices=("auto", "onnxruntime", "torch"), help="default auto")
    parser.add_argument("--device", help="auto (default), cpu, cuda or cuda:N")
    matte = parser.add_argument_group("matte overrides (default: GHOST's choice per track)")
    matte.add_argument("--erode", type=int, metavar="PX", help="erode (negative: dilate) in crop pixels")
    matte.add_argument("--feather", type=float, metavar="SCALE", help="multiply GHOST's blur sigmas")
    matte.add_argument("--brow-lift", type=float, metavar="FACTOR", help="eyebrow expansion factor")


# command-line option -> ShotSettings field, for options that override a job file
_OVERRIDES = {
    "plate": "plate",
    "frames": "frames",
    "track": "track",
    "target": "targets",
    "track_id": "track_ids",
    "all_tracks": "all_tracks",
    "swapper": "swapper",
    "model": "model",
    "enhance": "enhance",
    "detector": "detector",
    "landmarker": "landmarker",
    "colorspace": "colorspace",
    "ocio": "ocio",
    "erode": "erode",
    "feather": "feather",
    "brow_lift": "brow_lift",
    "matte_name": "matte_name",
    "batch": "batch",
    "backend": "backend",
    "device": "device",
    "overwrite": "overwrite",
}


def _settings(args: argparse.Namespace, out: str | None) -> ShotSettings:
    """Settings from `--job` (with its output and track file decided) or from scratch, plus options."""
    if args.job:
        from ghost_core.jobs.cache import resolve_job
        from ghost_core.jobs.schema import load_job

        base = resolve_job(load_job(args.job)).settings
    else:
        if not args.plate or not args.source:
            raise UsageError("give --plate and --source (or --job FILE)")
        base = ShotSettings(plate=args.plate, sources=[])
    given = {
        field: getattr(args, option)
        for option, field in _OVERRIDES.items()
        if getattr(args, option, None) is not None
    }
    if args.source:
        given["sources"] = [list(group) for group in args.source]
    if out is not None:
        given["out"] = out
    return replace(base, **given)


def register(sub: argparse._SubParsersAction) -> None:
    track = sub.add_parser("track", help="analyse a whole shot once: faces, tracks, smoothing, mask settings")
    _shot_arguments(track)
    track.add_argument("--out", metavar="TRACKFILE", help="track file to write (.json; default: the job's)")
    track.set_defaults(func=_track)

    render = sub.add_parser("render", help="swapped plate + ghost.matte layer for a frame range")
    _shot_arguments(render)
    render.add_argument("--out", metavar="PATTERN", help="output EXRs: swap.####.exr (default: the job's)")
    render.add_argument(
        "--track", metavar="TRACKFILE", help="from `ghostswap track` (needed for farm chunks)"
    )
    render.add_argument("--batch", type=int, metavar="N", help="frames per swapper call (default 8)")
    render.add_argument("--matte-name", metavar="LAYER", help="matte channel name (default ghost.matte)")
    render.add_argument(
        "--overwrite", action="store_true", default=None, help="re-render frames that are complete"
    )
    scale = render.add_argument_group("scale-out (default: render in this process)")
    scale.add_argument("--executor", choices=EXECUTORS, default="local", help="local, or ray: a Ray cluster")
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
    return track_command(replace(settings, track=None), out)


def _render(args: argparse.Namespace) -> dict[str, Any]:
    from ghost_core.executors import ExecutorOptions, open_executor

    settings = _settings(args, args.out)
    if args.job and not args.track and settings.track and not Path(settings.track).is_file():
        settings = replace(settings, track=None)  # not tracked yet: analyse in memory, as without a job
    options = ExecutorOptions(args.executor, args.address, args.workers, args.chunk)
    return open_executor(options).render(settings)


def _demo(args: argparse.Namespace) -> dict[str, Any]:
    from ghost_core.engine.demo import run_demo

    return run_demo(args.out, frames=args.frames, swapper=args.swapper)
