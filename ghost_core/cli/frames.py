"""`ghostswap frames ...`: the EXR frame layer for TDs (inspect plates, stream them through colour)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ghost_core.color import DEFAULT_GREY, Region
from ghost_core.errors import UsageError
from ghost_core.io.convert import ConvertOptions, convert_sequence
from ghost_core.io.footage import DEFAULT_START, ImportOptions, import_footage
from ghost_core.io.info import frames_info, info_error


def register(sub: argparse._SubParsersAction) -> None:
    frames = sub.add_parser("frames", help="inspect and convert scene-linear EXR sequences")
    commands = frames.add_subparsers(dest="frames_command", metavar="SUBCOMMAND", required=True)

    info = commands.add_parser("info", help="resolution, windows, channels, colour space, missing frames")
    info.add_argument(
        "pattern", help="shot.####.exr, shot.%%04d.exr, shot.$F4.exr, shot.@@@@.exr or one file"
    )
    info.add_argument("--frames", metavar="SPEC", help="1001-1100, 1001-1100x2, 1001,1005,1010-1012")
    info.add_argument(
        "--colorspace", metavar="NAME", help="plate colour space (default: metadata, then role)"
    )
    info.add_argument("--ocio", metavar="CONFIG", help="OCIO config (default: $OCIO, then the built-in one)")
    info.add_argument("--headers-only", action="store_true", help="skip the NaN/Inf/negative pixel scan")
    info.set_defaults(func=_info)

    convert = commands.add_parser(
        "convert", help="read -> colour -> atomic write, resuming past finished frames"
    )
    convert.add_argument("--in", dest="input", required=True, metavar="PATTERN", help="input frames")
    convert.add_argument("--out", dest="output", required=True, metavar="PATTERN", help="output frames")
    convert.add_argument("--frames", metavar="SPEC", help="frames to convert (default: all on disk)")
    convert.add_argument(
        "--colorspace", metavar="NAME", help="plate colour space (default: metadata, then role)"
    )
    mode = convert.add_mutually_exclusive_group()
    mode.add_argument(
        "--to-model",
        action="store_const",
        dest="mode",
        const="to-model",
        help="write GHOST's model-space view",
    )
    mode.add_argument(
        "--roundtrip",
        action="store_const",
        dest="mode",
        const="roundtrip",
        help="to model space and back inside --region (whole frame by default); the rest stays bit-exact",
    )
    convert.add_argument("--model-space", metavar="NAME", help="override the sRGB-encoded model space")
    convert.add_argument(
        "--ocio", metavar="CONFIG", help="OCIO config (default: $OCIO, then the built-in one)"
    )
    convert.add_argument("--region", metavar="X,Y,W,H", type=_region, help="face box in array pixels")
    convert.add_argument(
        "--grey",
        metavar="LEVEL",
        type=float,
        nargs="?",
        const=DEFAULT_GREY,
        help=f"normalise exposure: region median luminance -> LEVEL (default {DEFAULT_GREY})",
    )
    convert.add_argument("--matte-name", default="ghost.matte", metavar="LAYER", help="matte channel name")
    convert.add_argument("--matte-out", metavar="PATTERN", help="write the matte as its own sequence instead")
    convert.add_argument(
        "--keep-lossy-compression", action="store_true", help="keep DWA/B44 (not bit-exact) instead of ZIP"
    )
    convert.add_argument("--overwrite", action="store_true", help="rewrite frames that are already complete")
    convert.set_defaults(func=_convert, mode="copy")

    footage = commands.add_parser(
        "import", help="video, animated image or PNG/TIFF/DPX/JPEG sequence -> scene-linear EXR plate"
    )
    footage.add_argument("clip", help="clip.mov/mp4/mkv/webm/gif/webp, or frames such as scan.####.dpx")
    footage.add_argument("--out", dest="output", required=True, metavar="PATTERN", help="plate.####.exr")
    footage.add_argument(
        "--colorspace", metavar="NAME", help="clip colour space (default: its colour tags, then sRGB/Rec.709)"
    )
    footage.add_argument(
        "--ocio", metavar="CONFIG", help="OCIO config (default: $OCIO, then the built-in one)"
    )
    footage.add_argument(
        "--start", type=int, metavar="FRAME", help=f"first output frame number (default {DEFAULT_START})"
    )
    footage.add_argument("--overwrite", action="store_true", help="rewrite frames that are already complete")
    footage.set_defaults(func=_import)


def _region(text: str) -> Region:
    try:
        x, y, w, h = (int(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: write the region as X,Y,W,H integers") from None
    if w <= 0 or h <= 0:
        raise argparse.ArgumentTypeError(f"{text!r}: width and height must be positive")
    return (x, y, w, h)


def _print(lines: list[str]) -> None:
    sys.stdout.write("\n".join(lines) + "\n")


def _info(args: argparse.Namespace) -> dict[str, Any]:
    report = frames_info(args.pattern, args.frames, args.colorspace, args.ocio, not args.headers_only)
    if not args.json:
        _print(_info_lines(report))
    error = info_error(report)
    if error is not None:  # the report is out (or rides in the --json error); now fail
        raise error
    return report


def _info_lines(report: dict[str, Any]) -> list[str]:
    lines = [f"{report['pattern']}: {report['frame_count']} frame(s) {report['frames']}"]
    if report["missing_count"]:
        lines.append(f"  missing:      {report['missing_count']} ({report['missing']})")
    if "channels" in report:
        dw, fw = report["data_window"], report["display_window"]
        channels = ", ".join(f"{n}:{t}" for n, t in report["channels"].items())
        lines += [
            f"  resolution:   {fw[2]}x{fw[3]}  pixel aspect {report['pixel_aspect']:g}",
            f"  data window:  {dw[2]}x{dw[3]} at {dw[0]},{dw[1]}   display window at {fw[0]},{fw[1]}",
            f"  channels:     {channels}",
            f"  compression:  {report['compression']}   parts: {report['parts']}",
            f"  colour space: {report['colorspace']['name']} ({report['colorspace']['from']})",
        ]
        if report["frames_differing_from_first"]:
            lines.append(
                f"  differ from first frame (window/channels): {report['frames_differing_from_first']}"
            )
    for name, counts in report.get("pixel_counts", {}).items():
        if any(counts.values()):
            lines.append(
                f"  {name:<12}  nan {counts['nan']}  inf {counts['inf']}  negative {counts['negative']}"
            )
    if report.get("layout_problem"):
        lines.append(f"  cannot render: {report['layout_problem']}")
    for frame, message in report.get("unreadable", {}).items():
        lines.append(f"  unreadable {frame}: {message}")
    return lines


def _convert(args: argparse.Namespace) -> dict[str, Any]:
    if args.grey is not None and args.grey <= 0:
        raise UsageError(f"--grey {args.grey}: the mid-grey level must be above 0 (e.g. 0.18)")
    options = ConvertOptions(
        mode=args.mode,
        colorspace=args.colorspace,
        model_space=args.model_space,
        ocio_config=args.ocio,
        region=args.region,
        grey=args.grey,
        overwrite=args.overwrite,
        matte_name=args.matte_name,
        matte_out=args.matte_out,
        keep_lossy_compression=args.keep_lossy_compression,
    )
    colour_flags = {"--colorspace": args.colorspace, "--model-space": args.model_space, "--grey": args.grey}
    colour_flags |= {"--ocio": args.ocio, "--region": args.region}
    given = [flag for flag, value in colour_flags.items() if value is not None]
    if args.mode == "copy" and given:
        raise UsageError(f"{', '.join(given)}: only used with --to-model or --roundtrip; add one of them")
    summary = convert_sequence(args.input, args.output, args.frames, options)
    if not args.json:
        done = summary["skipped_complete"]
        line = f"{summary['written']} written, {done} already complete -> {summary['output']}"
        if "roundtrip_max_abs_error" in summary:
            line += f"  (round-trip max error {summary['roundtrip_max_abs_error']:.3g})"
        _print([line])
    return summary


def _import(args: argparse.Namespace) -> dict[str, Any]:
    options = ImportOptions(
        colorspace=args.colorspace, ocio_config=args.ocio, start=args.start, overwrite=args.overwrite
    )
    summary = import_footage(args.clip, args.output, options)
    if not args.json:
        cin, cout = summary["colorspace_in"], summary["colorspace_out"]
        start = "default; --start to change" if summary["start_from"] == "default" else "--start"
        _print(
            [
                f"{summary['input']}: {summary['kind']} {summary['width']}x{summary['height']} "
                f"{summary['codec']} {summary['bit_depth']}-bit, decoded as {summary['decoded_as']}",
                f"  colour:  {cin['name']} ({cin['from']}) -> {cout['name']} ({cout['from']})",
                f"  frames:  {summary['first_frame']}-{summary['last_frame']} (first frame "
                f"{summary['start']}, {start}), half float, ZIP",
                f"  {summary['written']} written, {summary['skipped_complete']} already complete "
                f"-> {summary['output']}",
            ]
        )
    return summary
