"""`ghostswap track`, `render` and `demo`: parsing only; the engine modules own the logic."""

from __future__ import annotations

import argparse
from typing import Any

from ghost_core.engine.settings import SWAPPERS, ShotSettings


def _shot_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--plate", required=True, metavar="PATTERN", help="plate EXRs: shot.####.exr")
    parser.add_argument(
        "--source",
        required=True,
        action="append",
        nargs="+",
        metavar="IMG",
        help="photo(s) of one new face (several are averaged); repeat --source for more people",
    )
    parser.add_argument("--frames", metavar="SPEC", help="1001-1100, 1001-1100x2, 1001,1005 (default: all)")
    pick = parser.add_argument_group("which faces to replace (default: the only face in the shot)")
    pick.add_argument(
        "--target", action="append", default=[], metavar="REF_IMG", help="photo of the face to replace"
    )
    pick.add_argument(
        "--track-id", action="append", default=[], type=int, metavar="N", help="track id from `track`"
    )
    pick.add_argument("--all", dest="all_tracks", action="store_true", help="replace every face")
    parser.add_argument("--swapper", choices=SWAPPERS, default="auto", help="auto: ghost when installed")
    parser.add_argument("--model", metavar="NAME", help="generator from `ghostswap models list`")
    parser.add_argument("--enhance", action="store_true", help="run GHOST's face enhancer after the swap")
    parser.add_argument("--detector", default="auto", help="auto, scrfd, retinaface or a .onnx SCRFD file")
    parser.add_argument("--landmarker", default="auto", help="auto, 106 or mesh")
    parser.add_argument("--colorspace", metavar="NAME", help="plate colour space (default: metadata, role)")
    parser.add_argument("--ocio", metavar="CONFIG", help="OCIO config (default: $OCIO, then built-in)")
    parser.add_argument("--backend", default="auto", choices=("auto", "onnxruntime", "torch"))
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")
    matte = parser.add_argument_group("matte overrides (default: GHOST's choice per track)")
    matte.add_argument("--erode", type=int, metavar="PX", help="erode (negative: dilate) in crop pixels")
    matte.add_argument("--feather", type=float, metavar="SCALE", help="multiply GHOST's blur sigmas")
    matte.add_argument("--brow-lift", type=float, metavar="FACTOR", help="eyebrow expansion factor")


def _settings(args: argparse.Namespace, out: str | None) -> ShotSettings:
    return ShotSettings(
        plate=args.plate,
        sources=[list(group) for group in args.source],
        out=out,
        frames=args.frames,
        track=getattr(args, "track", None),
        targets=list(args.target),
        track_ids=list(args.track_id),
        all_tracks=args.all_tracks,
        swapper=args.swapper,
        model=args.model,
        enhance=args.enhance,
        detector=args.detector,
        landmarker=args.landmarker,
        colorspace=args.colorspace,
        ocio=args.ocio,
        erode=args.erode,
        feather=args.feather,
        brow_lift=args.brow_lift,
        matte_name=getattr(args, "matte_name", "ghost.matte"),
        batch=getattr(args, "batch", 8),
        backend=args.backend,
        device=args.device,
        overwrite=getattr(args, "overwrite", False),
    )


def register(sub: argparse._SubParsersAction) -> None:
    track = sub.add_parser("track", help="analyse a whole shot once: faces, tracks, smoothing, mask settings")
    _shot_arguments(track)
    track.add_argument("--out", required=True, metavar="TRACKFILE", help="track file to write (.json)")
    track.set_defaults(func=_track)

    render = sub.add_parser("render", help="swapped plate + ghost.matte layer for a frame range")
    _shot_arguments(render)
    render.add_argument("--out", required=True, metavar="PATTERN", help="output EXRs: swap.####.exr")
    render.add_argument(
        "--track", metavar="TRACKFILE", help="from `ghostswap track` (needed for farm chunks)"
    )
    render.add_argument("--batch", type=int, default=8, metavar="N", help="frames per swapper call")
    render.add_argument("--matte-name", default="ghost.matte", metavar="LAYER", help="matte channel name")
    render.add_argument("--overwrite", action="store_true", help="re-render frames that are complete")
    render.set_defaults(func=_render)

    demo = sub.add_parser("demo", help="render a short built-in shot and a review contact sheet")
    demo.add_argument("--out", default="ghostswap-demo", metavar="DIR", help="folder for the demo outputs")
    demo.add_argument("--frames", type=int, default=12, metavar="N", help="length of the demo shot")
    demo.add_argument("--swapper", choices=SWAPPERS, default="auto")
    demo.set_defaults(func=_demo)


def _track(args: argparse.Namespace) -> dict[str, Any]:
    from ghost_core.engine.shot import track_command

    return track_command(_settings(args, None), args.out)


def _render(args: argparse.Namespace) -> dict[str, Any]:
    from ghost_core.engine.shot import render_command

    return render_command(_settings(args, args.out))


def _demo(args: argparse.Namespace) -> dict[str, Any]:
    from ghost_core.engine.demo import run_demo

    return run_demo(args.out, frames=args.frames, swapper=args.swapper)
