"""`ghostswap eval`: parsing only; ghost_core.evaluation.evaluate owns the logic."""

from __future__ import annotations

import argparse
from typing import Any

from ghost_core.evaluation import RECOGNISERS
from ghost_core.faces.detectors import DETECTORS


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "eval", help="score a swapped clip against its original: identity retrieval, pose, expression, jitter"
    )
    p.add_argument("result", metavar="RESULT", help="swapped clip: swap.####.exr, .mp4 or animated .webp")
    p.add_argument("original", metavar="ORIGINAL", help="the plate it was rendered from, same format rules")
    p.add_argument(
        "--source",
        required=True,
        action="append",
        nargs="+",
        metavar="IMG",
        help="photo(s) of the person swapped in (the first --source is the expected identity); "
        "repeat --source to add other candidates",
    )
    p.add_argument("--gallery", nargs="+", default=[], metavar="IMG", help="more people's photos (one each)")
    p.add_argument(
        "--recogniser",
        metavar="NAME|PATH.onnx",
        help=f"independent face embedder: {RECOGNISERS.help_text('auto')}",
    )
    p.add_argument("--step", type=int, default=1, metavar="N", help="score every Nth frame")
    p.add_argument("--start", type=int, default=0, metavar="I", help="first frame position (0-based)")
    p.add_argument("--offset", type=int, default=0, metavar="K", help="original frame = result frame + K")
    p.add_argument("--max-frames", type=int, metavar="N", help="score at most N frames")
    p.add_argument("--detector", default="auto", help=DETECTORS.help_text("auto"))
    p.add_argument("--colorspace", metavar="NAME", help="EXR colour space (default: metadata, role)")
    p.add_argument("--ocio", metavar="CONFIG", help="OCIO config (default: $OCIO, then built-in)")
    p.add_argument("--out", metavar="DIR", help="write eval.json and eval.html (plots per frame) here")
    p.set_defaults(func=_eval)


def _eval(args: argparse.Namespace) -> dict[str, Any]:
    from ghost_core.evaluation.evaluate import EvalSettings, evaluate
    from ghost_core.evaluation.report import write_report

    report = evaluate(
        EvalSettings(
            result=args.result,
            original=args.original,
            sources=[list(g) for g in args.source],
            gallery=list(args.gallery),
            recogniser=args.recogniser,
            step=args.step,
            start=args.start,
            offset=args.offset,
            limit=args.max_frames,
            detector=args.detector,
            ocio=args.ocio,
            colorspace=args.colorspace,
        )
    )
    written = write_report(report, args.out) if args.out else {}
    _log_summary(report["summary"])
    return {"summary": report["summary"], "report": written}


def _log_summary(summary: dict[str, Any]) -> None:
    from ghost_core.console import log

    ident = summary["identity"]
    log.info(
        "identity: top-1 %s on %.0f%% of %d frames; pose error %.2f°; expression %.3f IOD; jitter ratio %s",
        ident["expected"],
        100 * ident["result"]["retrieval_top1"],
        summary["frames"]["scored"],
        summary["pose_error_deg"]["mean"] or float("nan"),
        summary["expression_error_iod"] or float("nan"),
        summary["jitter"]["ratio"],
    )
