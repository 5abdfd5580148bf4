"""`frames import`: a clip (video, animated image, still sequence) to a scene-linear half-float EXR plate.

The decoder runs on the calling thread (FFmpeg decodes with its own threads); pixel conversion,
the OCIO processor and the ZIP-compressed write run on a small pool, a bounded number of frames
ahead, so memory stays flat and the write cost hides behind decoding. Every frame is written
atomically and stamped with a digest of what produced it (clip, colour spaces, config, first
frame): a rerun skips frames that are complete, from the same clip, newer than it, and with the
same settings; anything else is imported again.
"""

from __future__ import annotations

import collections
import hashlib
import json
import os
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import OpenImageIO as oiio
import PyOpenColorIO as ocio

from ghost_core import __version__
from ghost_core.color import OCIO_OPTIMIZATION, ChosenSpace, load_config, resolve_colorspace
from ghost_core.console import check_cancelled, log, progress, report
from ghost_core.errors import OutputError, UsageError
from ghost_core.io.atomic import atomic_output, check_output_folder, make_output_folder
from ghost_core.io.exr_write import COMPLETE_MARKER
from ghost_core.io.footage_colour import choose_input_space, output_space
from ghost_core.io.footage_sources import Source, SourceFrame, open_source
from ghost_core.io.resume import is_complete
from ghost_core.io.sequence import FramePattern

DEFAULT_START = 1001  # the usual first frame of a VFX plate (frames before it hold handles/slates)
DIGEST_ATTRIBUTE = "ghost:import_digest"
MAX_WORKERS = 8


@dataclass(frozen=True)
class ImportOptions:
    """How a clip is imported; `start` None means DEFAULT_START."""

    colorspace: str | None = None
    ocio_config: str | None = None
    start: int | None = None
    overwrite: bool = False
    workers: int | None = None


def _output_pattern(text: str) -> FramePattern:
    dst = FramePattern.parse(text)
    if not dst.is_sequence:
        raise UsageError(f"{text}: the output needs a frame token, e.g. plate.####.exr")
    if not dst.suffix.lower().endswith(".exr"):
        raise UsageError(f"{text}: frames import writes EXR; end the pattern in .exr")
    return dst


def _digest(source: Source, chosen: ChosenSpace, target: ChosenSpace, config: ocio.Config, start: int) -> str:
    """What makes two imports produce the same frames; stamped in every file and checked on resume."""
    clip = source.path if source.kind == "sequence" else os.path.realpath(source.path)
    fields = [clip, chosen.name, target.name, config.getCacheID(), start, __version__]
    return hashlib.sha256(json.dumps(fields).encode()).hexdigest()[:16]


def _header(source: Source, chosen: ChosenSpace, target: ChosenSpace, digest: str) -> oiio.ImageSpec:
    """The header every output frame shares (channels, ZIP, colour, provenance)."""
    channels = ("R", "G", "B", "A") if source.alpha else ("R", "G", "B")
    spec = oiio.ImageSpec(source.width, source.height, len(channels), "half")
    spec.channelnames = channels
    spec.alpha_channel = 3 if source.alpha else -1
    spec.attribute("compression", "zip")
    spec.attribute("oiio:ColorSpace", target.name)
    spec.attribute("PixelAspectRatio", float(source.pixel_aspect))
    if source.fps:
        spec.attribute("FramesPerSecond", oiio.TypeRational, (source.fps.numerator, source.fps.denominator))
    values = {
        "engine_version": __version__,
        "colorspace": target.name,
        "source": source.path,
        "source_colorspace": chosen.name,
        "source_colorspace_from": chosen.source,
        "source_bit_depth": source.bit_depth,
        "source_timecode": source.extra.get("timecode", ""),
        "import_digest": digest,
    }
    for key, value in values.items():
        if value != "":
            spec.attribute(f"ghost:{key}", value)
    return spec


class Lineariser:
    """One OCIO conversion, with a CPU processor per input depth (float32, uint8, uint16).

    Integer codes go to OpenColorIO as they are, with its default optimisation, which for an
    integer input evaluates the conversion once per code value (a lookup): about 7× faster than
    scaling to float and applying the lossless float processor, and equal to it within 1e-4
    (tests/io/test_footage_import.py checks every 16-bit code). Float input keeps the lossless one.
    """

    _DEPTHS: ClassVar[dict[np.dtype, ocio.BitDepth]] = {
        np.dtype(np.float32): ocio.BIT_DEPTH_F32,
        np.dtype(np.uint8): ocio.BIT_DEPTH_UINT8,
        np.dtype(np.uint16): ocio.BIT_DEPTH_UINT16,
    }

    def __init__(self, processor: ocio.Processor) -> None:
        self._cpus = {
            dtype: processor.getOptimizedCPUProcessor(
                depth,
                ocio.BIT_DEPTH_F32,
                OCIO_OPTIMIZATION if depth == ocio.BIT_DEPTH_F32 else ocio.OPTIMIZATION_DEFAULT,
            )
            for dtype, depth in self._DEPTHS.items()
        }

    def __call__(self, pixels: np.ndarray) -> np.ndarray:
        """Float32 linear pixels, same shape; float input is converted in place."""
        if pixels.dtype not in self._cpus:
            raise TypeError(f"no OCIO input depth for {pixels.dtype}")
        height, width, channels = pixels.shape
        cpu = self._cpus[pixels.dtype]
        if pixels.dtype == np.float32:
            (cpu.applyRGBA if channels == 4 else cpu.applyRGB)(pixels)
            return pixels
        out = np.empty(pixels.shape, np.float32)
        size = pixels.dtype.itemsize
        src = ocio.PackedImageDesc(
            pixels,
            width,
            height,
            channels,
            self._DEPTHS[pixels.dtype],
            size,
            size * channels,
            size * channels * width,
        )
        dst = ocio.PackedImageDesc(
            out, width, height, channels, ocio.BIT_DEPTH_F32, 4, 4 * channels, 4 * channels * width
        )
        cpu.apply(src, dst)
        return out


def _write_frame(
    frame: SourceFrame, path: Path, header: oiio.ImageSpec, linearise: Lineariser, alpha: bool
) -> None:
    """Decode, linearise (straight alpha premultiplied after, in linear light) and write one frame."""
    pixels = frame.load()
    if pixels.shape[:2] != (header.height, header.width):
        raise OutputError(f"{path}: source frame {frame.label} changes size mid-clip; split the clip")
    pixels = linearise(pixels)
    if alpha:
        pixels[..., :3] *= pixels[..., 3:4]
    spec = header.copy()
    spec.attribute("ghost:source_frame", frame.label)
    spec.attribute(COMPLETE_MARKER, 1)
    with atomic_output(path) as tmp:
        out = oiio.ImageOutput.create(str(tmp))
        if out is None:
            raise OutputError(f"{path}: cannot create an EXR writer ({oiio.geterror()})")
        try:
            if not out.open(str(tmp), spec) or not out.write_image(pixels):
                message = " ".join(out.geterror().split())
                raise OutputError(f"{path}: write failed ({message}); check free space and the folder")
        finally:
            out.close()


@dataclass
class _Tally:
    written: int = 0
    skipped: int = 0
    first: int | None = None
    last: int | None = None

    def saw(self, number: int) -> None:
        self.first = number if self.first is None else min(self.first, number)
        self.last = number if self.last is None else max(self.last, number)


def _run(
    source: Source,
    dst: FramePattern,
    start: int,
    header: oiio.ImageSpec,
    linearise: Lineariser,
    options: ImportOptions,
) -> _Tally:
    """Skip finished frames, write the rest on the pool, at most 2×workers frames in flight."""
    workers = max(1, options.workers or min(os.cpu_count() or 1, MAX_WORKERS))
    expected = list(header.channelnames)
    wanted = {DIGEST_ATTRIBUTE: header.get_string_attribute(DIGEST_ATTRIBUTE)}
    tally = _Tally()
    pending: collections.deque[Future[None]] = collections.deque()
    total = source.frame_count
    with ThreadPoolExecutor(workers, thread_name_prefix="import") as pool:
        try:
            for frame in progress(source.frames, total=total, desc="import", unit="frame"):
                check_cancelled()
                number = start + frame.offset
                path = dst.path(number)
                tally.saw(number)
                if not options.overwrite and is_complete(path, expected, wanted, newer_than=frame.path):
                    tally.skipped += 1
                    continue
                pending.append(pool.submit(_write_frame, frame, path, header, linearise, source.alpha))
                while len(pending) >= 2 * workers:
                    pending.popleft().result()
                    tally.written += 1
                    report("import", tally.written + tally.skipped, total or 0)
            while pending:
                pending.popleft().result()
                tally.written += 1
        except BaseException:
            for future in pending:
                future.cancel()
            raise
    return tally


def import_footage(clip: str, output_pattern: str, options: ImportOptions) -> dict[str, Any]:
    """Import every frame of `clip` to `output_pattern`; returns the summary `--json` prints."""
    dst = _output_pattern(output_pattern)
    folder = dst.path(0).parent
    check_output_folder(folder)
    config = load_config(options.ocio_config)
    target = output_space(config)
    if options.colorspace:
        resolve_colorspace(config, options.colorspace)  # an unknown name fails before decoding starts
    start = DEFAULT_START if options.start is None else options.start
    source = open_source(clip)
    started = time.perf_counter()
    try:
        chosen = choose_input_space(config, options.colorspace, source.tags, source.spec)
        log.info("colour: %s (%s) -> %s (%s)", chosen.name, chosen.source, target.name, target.source)
        linearise = Lineariser(config.getProcessor(chosen.name, target.name))
        header = _header(source, chosen, target, _digest(source, chosen, target, config, start))
        make_output_folder(folder)
        tally = _run(source, dst, start, header, linearise, options)
    finally:
        source.close()
    seconds = time.perf_counter() - started
    frames = tally.written + tally.skipped
    log.info("%d written, %d already complete, %.2f s", tally.written, tally.skipped, seconds)
    return {
        **source.describe(),
        "output": dst.display(),
        "frames": frames,
        "first_frame": tally.first,
        "last_frame": tally.last,
        "start": start,
        "start_from": "default" if options.start is None else "--start",
        "written": tally.written,
        "skipped_complete": tally.skipped,
        "colorspace_in": {"name": chosen.name, "from": chosen.source},
        "colorspace_out": {"name": target.name, "from": target.source},
        "pixel_type": "half",
        "compression": "zip",
        "seconds": round(seconds, 3),
        "frames_per_second": round(tally.written / seconds, 3) if seconds > 0 and tally.written else None,
    }
