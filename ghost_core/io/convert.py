"""`frames convert`: stream a sequence through read -> colour -> atomic write, with resume.

Every check that can fail without touching pixels runs before the first frame is read: output
equal to input, output folder, missing frames, colour-space names, then every input header (and
its last chunk). Frames then stream one at a time, so memory stays flat however long the shot.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ghost_core.color import ColorPath, Region, clip_region, load_config, model_colorspace, plate_colorspace
from ghost_core.console import log, progress
from ghost_core.errors import OutputError, UsageError
from ghost_core.io.atomic import check_output_folder, make_output_folder
from ghost_core.io.exr import ALPHA_CHANNEL, COLOUR_CHANNELS, channel_formats, read_frame, read_header
from ghost_core.io.exr_write import WriteOptions, output_layout, write_frame, write_rgba
from ghost_core.io.pixel_stats import add_counts, channel_counts, has_nonfinite
from ghost_core.io.resume import is_complete
from ghost_core.io.sequence import FramePattern, compact_frames, resolve_frames

MODES = ("copy", "to-model", "roundtrip")
_PROBE_FRAMES = (0, 1001)


@dataclass(frozen=True)
class ConvertOptions:
    """What `frames convert` does to each frame; `copy` rewrites the plate in GhostSwap's layout."""

    mode: str = "copy"
    colorspace: str | None = None
    model_space: str | None = None
    ocio_config: str | None = None
    region: Region | None = None
    grey: float | None = None
    overwrite: bool = False
    matte_name: str = "ghost.matte"
    matte_out: str | None = None
    keep_lossy_compression: bool = False


def _same_file(a: Path, b: Path) -> bool:
    if os.path.realpath(a) == os.path.realpath(b):
        return True
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def _refuse_overlap(src: FramePattern, dst: FramePattern, what: str, frames: list[int | None] | None) -> None:
    """Output must never name an input file: checked on probe frames first, then on the real frames."""
    if not src.is_sequence:
        pairs = [(src.path(None), dst.path(None))]
    else:
        pairs = [(src.path(f), dst.path(f)) for f in (frames if frames is not None else _PROBE_FRAMES)]
    if any(_same_file(a, b) for a, b in pairs):
        raise OutputError(
            f"{dst.text}: {what} would overwrite the input {src.display()}; choose another path"
        )


def _check_patterns(options: ConvertOptions, src: FramePattern, dst: FramePattern) -> FramePattern | None:
    if options.mode not in MODES:
        raise UsageError(f"unknown mode {options.mode!r}; use one of {', '.join(MODES)}")
    if src.is_sequence != dst.is_sequence:
        raise UsageError(f"{dst.text}: input and output must both be sequences (####) or both single files")
    matte = FramePattern.parse(options.matte_out) if options.matte_out else None
    if matte is not None and matte.is_sequence != src.is_sequence:
        raise UsageError(f"{matte.text}: the matte output must be a sequence exactly when the input is one")
    if matte is not None and options.mode == "to-model":
        raise UsageError("--matte-out has no meaning with --to-model (the model-space view has no matte)")
    _refuse_overlap(src, dst, "output", None)
    if matte is not None:
        _refuse_overlap(src, matte, "matte output", None)
        _refuse_overlap(dst, matte, "matte output", None)
    return matte


def _finished(out_path: Path, expected: list[str], matte_path: Path | None) -> bool:
    return is_complete(out_path, expected) and (matte_path is None or is_complete(matte_path, ["A"]))


@dataclass
class _Run:
    written: int = 0
    skipped: int = 0
    max_error: float = 0.0


def convert_sequence(
    input_pattern: str, output_pattern: str, frames_spec: str | None, options: ConvertOptions
) -> dict[str, Any]:
    """Convert every selected frame; returns a summary (counts, timings, colour spaces, pixel stats)."""
    src, dst = FramePattern.parse(input_pattern), FramePattern.parse(output_pattern)
    matte_pattern = _check_patterns(options, src, dst)
    folders = [p.path(0 if p.is_sequence else None).parent for p in (dst, matte_pattern) if p is not None]
    for folder in folders:
        check_output_folder(folder)
    frames = resolve_frames(src, frames_spec)
    _refuse_overlap(src, dst, "output", frames)

    config = load_config(options.ocio_config) if options.mode != "copy" else None
    if config is not None:  # bad names fail here, before any pixel is read
        flag_space = plate_colorspace(config, options.colorspace) if options.colorspace else None
        model = model_colorspace(config, options.model_space)
    headers = {frame: read_header(src.path(frame)) for frame in frames}
    for folder in folders:
        make_output_folder(folder)

    write_options = WriteOptions(
        matte_name=options.matte_name, keep_lossy_compression=options.keep_lossy_compression
    )
    paths: dict[str, ColorPath] = {}
    counts: dict[str, dict[str, int]] = {}
    nonfinite_frames: list[int | None] = []
    run = _Run()
    started = time.perf_counter()
    for frame in progress(frames, total=len(frames), desc="convert", unit="frame"):
        spec = headers.pop(frame)
        out_path = dst.path(frame)
        matte_path = matte_pattern.path(frame) if matte_pattern is not None else None
        if options.mode == "to-model":
            expected = [*COLOUR_CHANNELS, ALPHA_CHANNEL]
        else:
            expected, _ = output_layout(
                spec.channelnames, channel_formats(spec), write_options, matte_path is None
            )
        if not options.overwrite and _finished(out_path, expected, matte_path):
            run.skipped += 1
            continue
        plate = read_frame(src.path(frame))
        frame_counts = channel_counts(plate.channel_names, plate.planes)
        add_counts(counts, frame_counts)
        if has_nonfinite(frame_counts):
            nonfinite_frames.append(frame)
        metadata: dict[str, str | int | float] = {"source": str(plate.path), "mode": options.mode}
        if frame is not None:
            metadata["source_frame"] = frame
        if config is None:
            write_frame(out_path, plate, metadata=metadata, options=write_options, matte_path=matte_path)
        else:
            plate_space = flag_space or plate_colorspace(config, None, plate.spec)
            colour = paths.get(plate_space.name)
            if colour is None:
                colour = paths[plate_space.name] = ColorPath(config, plate_space.name, model.name)
            _convert_one(colour, plate, out_path, matte_path, metadata, options, write_options, run)
        run.written += 1
    seconds = time.perf_counter() - started

    if nonfinite_frames:
        log.warning(
            "NaN/Inf pixels in %d frame(s) (%s); passed through untouched outside the face",
            len(nonfinite_frames),
            compact_frames(f for f in nonfinite_frames if f is not None) or src.text,
        )
    summary: dict[str, Any] = {
        "input": src.display(),
        "output": dst.display(),
        "mode": options.mode,
        "frames": len(frames),
        "written": run.written,
        "skipped_complete": run.skipped,
        "seconds": round(seconds, 3),
        "frames_per_second": round(run.written / seconds, 3) if seconds > 0 and run.written else None,
        "pixel_counts": counts,
        "frames_with_nan_or_inf": [f for f in nonfinite_frames if f is not None],
    }
    if config is not None:
        summary["plate_colorspaces"] = sorted(paths)
        summary["model_colorspace"] = model.name
    if options.mode == "roundtrip":
        summary["roundtrip_max_abs_error"] = run.max_error
    log.info("%d written, %d already complete, %.2f s", run.written, run.skipped, seconds)
    return summary


def _convert_one(
    colour: ColorPath,
    plate: Any,
    out_path: Path,
    matte_path: Path | None,
    metadata: dict[str, str | int | float],
    options: ConvertOptions,
    write_options: WriteOptions,
    run: _Run,
) -> None:
    """The colour path of one frame: to model space (written as is) or there and back (composited)."""
    linear = plate.rgba()
    gain = colour.exposure_gain(linear, options.region, options.grey) if options.grey else 1.0
    metadata["exposure_gain"] = gain
    if options.mode == "to-model":
        metadata["colorspace"] = colour.model_space
        model_view = colour.to_model(linear, gain, clip=True)
        write_rgba(out_path, plate, model_view, metadata, colorspace=colour.model_space)
        return
    metadata["colorspace"] = colour.plate_space
    x, y, w, h = clip_region(options.region, plate.height, plate.width)
    matte = np.zeros((plate.height, plate.width), np.float32)
    matte[y : y + h, x : x + w] = 1.0
    box = linear[y : y + h, x : x + w]
    back = colour.from_model(colour.to_model(box, gain, clip=False), gain, copy=False)
    with np.errstate(invalid="ignore"):  # every 4th row: a full-frame check would cost as much as the colour
        error = np.abs(back[::4, :, :3] - box[::4, :, :3])
    run.max_error = max(run.max_error, float(np.max(error, where=np.isfinite(error), initial=0.0)))
    # The float view is not needed after this frame, so it becomes the output buffer (no 4K copy).
    box[...] = back
    write_frame(
        out_path,
        plate,
        rgba=linear,
        matte=matte,
        metadata=metadata,
        options=write_options,
        matte_path=matte_path,
    )
