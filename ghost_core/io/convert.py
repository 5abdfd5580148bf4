"""`frames convert`: stream a sequence through read -> colour -> atomic write, with resume.

Every check that can fail without touching pixels runs before the first frame is read: output
equal to input, output folder, missing frames, colour-space names, then every input header (and
its last chunk). Frames then stream one at a time, so memory stays flat however long the shot.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import OpenImageIO as oiio
import PyOpenColorIO as ocio

from ghost_core.color import (
    ChosenSpace,
    ColorPath,
    Region,
    clip_region,
    load_config,
    model_colorspace,
    plate_colorspace,
)
from ghost_core.console import log, progress
from ghost_core.errors import OutputError, UsageError
from ghost_core.io.atomic import check_output_folder, make_output_folder, same_file
from ghost_core.io.exr import ALPHA_CHANNEL, COLOUR_CHANNELS, Frame, channel_formats, read_frame
from ghost_core.io.exr_write import WriteOptions, output_layout, write_frame, write_rgba
from ghost_core.io.memory import streaming_buffers
from ghost_core.io.pixel_stats import add_counts, channel_counts, has_nonfinite
from ghost_core.io.plate import plate_headers
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


def _refuse_overlap(src: FramePattern, dst: FramePattern, what: str, frames: list[int | None] | None) -> None:
    """Output must never name an input file: checked on probe frames first, then on the real frames."""
    if not src.is_sequence:
        pairs = [(src.path(None), dst.path(None))]
    else:
        pairs = [(src.path(f), dst.path(f)) for f in (frames if frames is not None else _PROBE_FRAMES)]
    if any(same_file(a, b) for a, b in pairs):
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


@dataclass
class _Plan:
    """Everything settled before the first pixel is read."""

    src: FramePattern
    dst: FramePattern
    matte: FramePattern | None
    frames: list[int | None]
    headers: dict[int | None, oiio.ImageSpec]
    config: ocio.Config | None
    plate_flag: ChosenSpace | None
    model: ChosenSpace | None
    write_options: WriteOptions


def _plan(input_pattern: str, output_pattern: str, frames_spec: str | None, options: ConvertOptions) -> _Plan:
    """All checks, cheapest first: patterns, folders, missing frames, colour names, input headers."""
    src, dst = FramePattern.parse(input_pattern), FramePattern.parse(output_pattern)
    matte = _check_patterns(options, src, dst)
    folders = [p.path(0 if p.is_sequence else None).parent for p in (dst, matte) if p is not None]
    for folder in folders:
        check_output_folder(folder)
    frames = resolve_frames(src, frames_spec)
    _refuse_overlap(src, dst, "output", frames)
    config = plate_flag = model = None
    if options.mode != "copy":
        config = load_config(options.ocio_config)
        plate_flag = plate_colorspace(config, options.colorspace) if options.colorspace else None
        model = model_colorspace(config, options.model_space)
    headers = plate_headers(src, frames)  # one message for a sequence that cannot be used
    for folder in folders:
        make_output_folder(folder)
    write_options = WriteOptions(
        matte_name=options.matte_name, keep_lossy_compression=options.keep_lossy_compression
    )
    return _Plan(src, dst, matte, frames, headers, config, plate_flag, model, write_options)


@dataclass
class _Tally:
    written: int = 0
    skipped: int = 0
    max_error: float = 0.0
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    nonfinite_frames: list[int] = field(default_factory=list)


def _expected_channels(plan: _Plan, spec: oiio.ImageSpec, mode: str, matte_path: Path | None) -> list[str]:
    if mode == "to-model":
        return [*COLOUR_CHANNELS, ALPHA_CHANNEL]
    names, _ = output_layout(spec.channelnames, channel_formats(spec), plan.write_options, matte_path is None)
    return names


def _finished(out_path: Path, expected: list[str], matte_path: Path | None) -> bool:
    return is_complete(out_path, expected) and (matte_path is None or is_complete(matte_path, ["A"]))


def convert_sequence(
    input_pattern: str, output_pattern: str, frames_spec: str | None, options: ConvertOptions
) -> dict[str, Any]:
    """Convert every selected frame; returns a summary (counts, timings, colour spaces, pixel stats)."""
    plan = _plan(input_pattern, output_pattern, frames_spec, options)
    colour_paths: dict[str, ColorPath] = {}
    tally = _Tally()
    started = time.perf_counter()
    with streaming_buffers():
        _convert_frames(plan, options, colour_paths, tally)
    seconds = time.perf_counter() - started
    return _summary(plan, options, tally, seconds, sorted(colour_paths))


def _convert_frames(
    plan: _Plan, options: ConvertOptions, colour_paths: dict[str, ColorPath], tally: _Tally
) -> None:
    for frame in progress(plan.frames, total=len(plan.frames), desc="convert", unit="frame"):
        spec = plan.headers.pop(frame)
        out_path = plan.dst.path(frame)
        matte_path = plan.matte.path(frame) if plan.matte is not None else None
        expected = _expected_channels(plan, spec, options.mode, matte_path)
        if not options.overwrite and _finished(out_path, expected, matte_path):
            tally.skipped += 1
            continue
        plate = read_frame(plan.src.path(frame))
        frame_counts = channel_counts(plate.channel_names, plate.planes)
        add_counts(tally.counts, frame_counts)
        if has_nonfinite(frame_counts) and frame is not None:
            tally.nonfinite_frames.append(frame)
        metadata: dict[str, str | int | float] = {"source": str(plate.path), "mode": options.mode}
        if frame is not None:
            metadata["source_frame"] = frame
        if plan.config is None or plan.model is None:
            write_frame(out_path, plate, metadata=metadata, options=plan.write_options, matte_path=matte_path)
        else:
            space = (plan.plate_flag or plate_colorspace(plan.config, None, plate.spec)).name
            if space not in colour_paths:
                colour_paths[space] = ColorPath(plan.config, space, plan.model.name)
            _convert_one(colour_paths[space], plate, out_path, matte_path, metadata, options, plan, tally)
        tally.written += 1


def _summary(
    plan: _Plan, options: ConvertOptions, tally: _Tally, seconds: float, plate_spaces: list[str]
) -> dict[str, Any]:
    if tally.counts and any(c["nan"] or c["inf"] for c in tally.counts.values()):
        log.warning(
            "NaN/Inf pixels in %s (%s); passed through untouched outside the face",
            f"{len(tally.nonfinite_frames)} frame(s)" if tally.nonfinite_frames else plan.src.text,
            compact_frames(tally.nonfinite_frames) or "see pixel_counts",
        )
    log.info("%d written, %d already complete, %.2f s", tally.written, tally.skipped, seconds)
    summary: dict[str, Any] = {
        "input": plan.src.display(),
        "output": plan.dst.display(),
        "mode": options.mode,
        "frames": len(plan.frames),
        "written": tally.written,
        "skipped_complete": tally.skipped,
        "seconds": round(seconds, 3),
        "frames_per_second": round(tally.written / seconds, 3) if seconds > 0 and tally.written else None,
        "pixel_counts": tally.counts,
        "frames_with_nan_or_inf": tally.nonfinite_frames,
    }
    if plan.model is not None:
        summary["plate_colorspaces"] = plate_spaces
        summary["model_colorspace"] = plan.model.name
    if options.mode == "roundtrip":
        summary["roundtrip_max_abs_error"] = tally.max_error
    return summary


def _convert_one(
    colour: ColorPath,
    plate: Frame,
    out_path: Path,
    matte_path: Path | None,
    metadata: dict[str, str | int | float],
    options: ConvertOptions,
    plan: _Plan,
    tally: _Tally,
) -> None:
    """The colour path of one frame: to model space (written as is) or there and back inside the region."""
    source = plate.rgba_source()  # half or float; converted to float32 chunk by chunk on all cores
    gain = colour.exposure_gain(source, options.region, options.grey) if options.grey else 1.0
    metadata["exposure_gain"] = gain
    if options.mode == "to-model":
        metadata["colorspace"] = colour.model_space
        model_view = colour.to_model(source, gain, clip=True)
        write_rgba(out_path, plate, model_view, metadata, colorspace=colour.model_space)
        return
    metadata["colorspace"] = colour.plate_space
    x, y, w, h = clip_region(options.region, plate.height, plate.width)
    matte = np.zeros((plate.height, plate.width), np.float16)  # 0 or 1: exact in the half matte layer
    matte[y : y + h, x : x + w] = 1.0
    box = source[y : y + h, x : x + w]
    back = colour.from_model(colour.to_model(box, gain, clip=False), gain, copy=False)
    with np.errstate(invalid="ignore"):  # every 4th row: checking all would cost as much as the colour
        error = np.abs(back[::4, :, :3] - box[::4, :, :3].astype(np.float32))
    tally.max_error = max(tally.max_error, float(np.max(error, where=np.isfinite(error), initial=0.0)))
    write_frame(
        out_path,
        plate,
        rgba=back,
        matte=matte,
        origin=(x, y),
        metadata=metadata,
        options=plan.write_options,
        matte_path=matte_path,
    )
