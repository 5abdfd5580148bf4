"""`ghostswap review`: a review folder for a rendered shot, or `--verify FILE` to read credentials back."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ghost_core.errors import UsageError


def register(sub: argparse._SubParsersAction) -> None:
    review = sub.add_parser(
        "review",
        help="dailies folder for a rendered shot: H.264 proxy, HTML flipbook, contact sheet (C2PA-signed)",
    )
    review.add_argument("shot", nargs="?", metavar="SHOT", help="swap.####.exr (render --out) or a job file")
    review.add_argument("--out", metavar="DIR", help="review folder to write")
    review.add_argument(
        "--verify", metavar="FILE", help="read a file's content credentials back and check them"
    )
    review.add_argument(
        "--trust", metavar="PEM", help="CA certificates to trust when verifying ($GHOSTSWAP_C2PA_TRUST)"
    )
    review.add_argument("--frames", metavar="SPEC", help="frames to review (default: all rendered)")
    review.add_argument("--name", metavar="SHOT", help="shot name for burn-ins (default: from the path)")
    review.add_argument("--summary", metavar="JSON", help="`render --json` output, for per-frame notes")
    review.add_argument(
        "--source",
        nargs="+",
        default=(),
        metavar="PHOTO",
        help="the source person's photos, for per-frame identity scores (default: a job file's own)",
    )
    colour = review.add_argument_group("colour")
    colour.add_argument(
        "--ocio", metavar="CONFIG", help="OCIO config (default: $OCIO, else the built-in studio one)"
    )
    colour.add_argument(
        "--colorspace", metavar="NAME", help="the plate's colour space (default: its metadata)"
    )
    colour.add_argument("--display", metavar="NAME", help="OCIO display (default: the config's)")
    colour.add_argument("--view", metavar="NAME", help="OCIO view (default: the display's)")
    proxy = review.add_argument_group("proxy")
    proxy.add_argument("--fps", type=float, default=24.0, help="playback rate (default 24)")
    proxy.add_argument(
        "--proxy-width", type=int, default=1920, metavar="PX", help="proxy width (default 1920)"
    )
    keys = review.add_argument_group("content credentials (docs/review.md)")
    keys.add_argument(
        "--c2pa-cert", metavar="PEM", help="studio signing chain, signer first ($GHOSTSWAP_C2PA_CERT)"
    )
    keys.add_argument("--c2pa-key", metavar="PEM", help="its ES256 private key ($GHOSTSWAP_C2PA_KEY)")
    review.set_defaults(func=_review)


def _review(args: argparse.Namespace) -> dict[str, Any]:
    if args.verify:
        from ghost_core.review.credentials import verify

        report = verify(args.verify, args.trust)
        if not args.json:
            json.dump(report, sys.stdout, indent=1)
            sys.stdout.write("\n")
        return report
    if not args.shot or not args.out:
        raise UsageError("give SHOT and --out DIR (or --verify FILE)")
    if args.fps <= 0 or args.proxy_width < 64:
        raise UsageError("--fps must be positive and --proxy-width at least 64")
    from ghost_core.review.build import ReviewOptions, build_review

    options = ReviewOptions(
        out=Path(args.out), frames=args.frames, name=args.name, summary=args.summary, ocio=args.ocio,
        colorspace=args.colorspace, display=args.display, view=args.view, fps=args.fps,
        proxy_width=args.proxy_width, cert=args.c2pa_cert, key=args.c2pa_key, sources=tuple(args.source),
    )  # fmt: skip
    result = build_review(args.shot, options)
    if not args.json:
        print(result["page"])
    return result
