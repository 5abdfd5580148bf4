"""`frames info`: what a TD needs to know about a plate before a render (and what will go wrong)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import OpenImageIO as oiio

from ghost_core.color import load_config, plate_colorspace
from ghost_core.console import progress
from ghost_core.errors import GhostSwapError, InputError
from ghost_core.io.exr import channel_formats, read_frame
from ghost_core.io.pixel_stats import add_counts, channel_counts, has_nonfinite
from ghost_core.io.plate import scan_error, scan_headers
from ghost_core.io.sequence import FramePattern, compact_frames, gaps, parse_frame_spec


def _select_frames(pattern: FramePattern, spec: str | None) -> tuple[list[int | None], list[int]]:
    """(existing frames, missing frames): from the spec, or from disk with gaps counted as missing."""
    if not pattern.is_sequence:
        if not pattern.path(None).is_file():
            raise InputError(f"{pattern.text}: file not found; check the path")
        return [None], []
    if spec is not None:
        wanted = parse_frame_spec(spec)
        existing = [f for f in wanted if pattern.path(f).is_file()]
        missing = [f for f in wanted if f not in set(existing)]
    else:
        existing = pattern.discover()
        missing = gaps(existing)
    if not existing:
        raise InputError(f"{pattern.display()}: no frames on disk match; check the folder and padding")
    return list(existing), missing


def _header_summary(spec: oiio.ImageSpec) -> dict[str, Any]:
    return {
        "resolution": [spec.full_width, spec.full_height],
        "data_window": [spec.x, spec.y, spec.width, spec.height],
        "display_window": [spec.full_x, spec.full_y, spec.full_width, spec.full_height],
        "channels": dict(zip(map(_printable, spec.channelnames), channel_formats(spec), strict=True)),
        "compression": spec.get_string_attribute("compression", "none"),
        "pixel_aspect": spec.get_float_attribute("PixelAspectRatio", 1.0),
        "tiled": bool(spec.tile_width),
        "parts": max(1, spec.get_int_attribute("oiio:subimages", 1)),
        "metadata": {
            p.name: _printable(p.value) for p in spec.extra_attribs if not p.name.startswith("oiio:")
        },
    }


def _printable(value: Any) -> Any:
    """Attribute text as OpenImageIO decodes it keeps undecodable bytes as surrogates: show them escaped."""
    if isinstance(value, str) and any("\udc80" <= ch <= "\udcff" for ch in value):
        return ascii(value)
    return value


def _layout_key(spec: oiio.ImageSpec) -> tuple[Any, ...]:
    return (spec.x, spec.y, spec.width, spec.height, tuple(spec.channelnames), tuple(channel_formats(spec)))


def frames_info(
    pattern_text: str,
    frames_spec: str | None = None,
    colorspace: str | None = None,
    ocio_config: str | None = None,
    pixel_stats: bool = True,
) -> dict[str, Any]:
    """First readable frame's header plus sequence checks: missing, unreadable and odd frames.

    `problem` is one line (naming the first bad file) when any frame cannot be read or the
    sequence's layout cannot be rendered; the CLI prints the report, then fails with it.
    """
    pattern = FramePattern.parse(pattern_text)
    existing, missing = _select_frames(pattern, frames_spec)
    scan = scan_headers(pattern, existing, check_pixels=not pixel_stats)
    report: dict[str, Any] = {
        "pattern": pattern.display(),
        "frames": compact_frames((f for f in existing if f is not None), limit=50) or pattern.text,
        "frame_count": len(existing),
        "missing": compact_frames(missing, limit=50),
        "missing_count": len(missing),
    }
    if scan.specs:
        first_frame, first = next(iter(scan.specs.items()))
        report.update(_header_summary(first))
        report["layout_problem"] = scan.layout_problem
        chosen = plate_colorspace(load_config(ocio_config), colorspace, first)
        report["colorspace"] = {"name": chosen.name, "from": chosen.source}
        odd = [f for f, s in scan.specs.items() if _layout_key(s) != _layout_key(first) and f is not None]
        report["frames_differing_from_first"] = compact_frames(odd, limit=50)
        report["first_frame"] = first_frame
    if pixel_stats and scan.specs:
        counts: dict[str, dict[str, int]] = {}
        bad: list[int] = []
        usable = scan.usable()
        for frame in progress(usable, total=len(usable), desc="scan", unit="frame"):
            try:
                plate = read_frame(Path(pattern.path(frame)))
            except GhostSwapError as exc:
                scan.unreadable[frame] = str(exc)
                continue
            frame_counts = channel_counts(plate.channel_names, plate.planes)
            add_counts(counts, frame_counts)
            if has_nonfinite(frame_counts) and frame is not None:
                bad.append(frame)
        report["pixel_counts"] = counts
        report["frames_with_nan_or_inf"] = compact_frames(bad, limit=50)
    report["unreadable"] = {str(frame): message for frame, message in scan.unreadable.items()}
    error = scan_error(pattern, scan)
    report["problem"] = str(error) if error is not None else None
    return report


def info_error(report: dict[str, Any]) -> InputError | None:
    """The typed error `frames info` exits with (the report rides along for --json), or None."""
    if not report.get("problem"):
        return None
    return InputError(report["problem"], details=report)
