"""`ghostswap dataset prepare` and `ghostswap dataset shot`: parsing only; prepare.py owns the logic."""

from __future__ import annotations

import argparse
from typing import Any

from ghost_core.faces.detectors import DETECTORS


def register(sub: argparse._SubParsersAction) -> None:
    dataset = sub.add_parser("dataset", help="training sets of GHOST-aligned 16-bit face crops")
    actions = dataset.add_subparsers(dest="dataset_command", metavar="ACTION", required=True)

    prep = actions.add_parser(
        "prepare", help="SRC/<identity>/<image> → OUT/<identity>/<stem>.png + dataset.json"
    )
    prep.add_argument("src", metavar="SRC", help="folder of identity folders (VGGFace2 layout)")
    prep.add_argument("out", metavar="OUT", help="folder for the aligned crops (resumable)")
    prep.add_argument("--detector", default="auto", help=DETECTORS.help_text("auto"))
    prep.add_argument("--min-size", type=int, default=32, metavar="PX", help="skip faces smaller than this")
    prep.set_defaults(func=_prepare)

    shot = actions.add_parser(
        "shot", help="one shot's fine-tuning set: OUT/source/*.png and OUT/target/*.png"
    )
    shot.add_argument("--plate", required=True, metavar="PATTERN", help="plate EXRs: shot.####.exr")
    shot.add_argument("--source", required=True, nargs="+", metavar="IMG", help="photo(s) of the new face")
    shot.add_argument("--out", required=True, metavar="DIR", help="folder for source/, target/, shot.json")
    shot.add_argument("--frames", metavar="SPEC", help="1001-1100, 1001-1100x2 (default: all)")
    shot.add_argument(
        "--track-id", type=int, metavar="N", help="track from `ghostswap track` (default: chosen)"
    )
    shot.add_argument("--target", action="append", default=[], metavar="REF_IMG", help="photo of the face")
    shot.add_argument("--detector", default="auto", help=DETECTORS.help_text("auto"))
    shot.add_argument("--colorspace", metavar="NAME", help="plate colour space (default: metadata, role)")
    shot.add_argument("--ocio", metavar="CONFIG", help="OCIO config (default: $OCIO, then built-in)")
    shot.set_defaults(func=_shot)


def _prepare(args: argparse.Namespace) -> dict[str, Any]:
    from ghost_core.datasets.prepare import prepare_folder

    return prepare_folder(
        args.src, args.out, detector=args.detector, min_size=args.min_size, progress=not args.quiet
    )


def _shot(args: argparse.Namespace) -> dict[str, Any]:
    from ghost_core.datasets.prepare import prepare_shot

    return prepare_shot(
        args.plate,
        args.source,
        args.out,
        frames=args.frames,
        track_id=args.track_id,
        targets=list(args.target),
        detector=args.detector,
        colorspace=args.colorspace,
        ocio=args.ocio,
    )
