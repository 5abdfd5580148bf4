"""Decoders for `frames import`: video through PyAV, stills and animated WebP through OpenImageIO.

Every frame comes out H×W×3 (or ×4, straight alpha) in the file's own encoding, at the precision
the file has: video deeper than 8 bits, and every YUV stream, is converted by swscale to 16-bit
RGB (accurate rounding, full chroma interpolation) rather than 8-bit and handed on as uint16 (8-bit
RGB video as uint8), so OpenColorIO can take the integer codes itself; stills are read to float32.
Pixel conversion runs in `SourceFrame.load`, so the caller can run it on worker threads and skip
it for frames that are already written.

FFmpeg cannot decode animated WebP (ANIM/ANMF chunks), so .webp goes to OpenImageIO's reader,
which returns each animation frame as a subimage.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import OpenImageIO as oiio

from ghost_core.console import log
from ghost_core.errors import InputError, UsageError
from ghost_core.io.sequence import FramePattern, compact_frames, gaps, resolve_frames

PYAV_SUFFIXES = (".mov", ".mp4", ".m4v", ".mkv", ".webm", ".avi", ".mxf", ".gif")
OIIO_SUFFIXES = (".webp", ".png", ".tif", ".tiff", ".dpx", ".jpg", ".jpeg")
# swscale: exact rounding and full-resolution chroma; without them 8-bit YUV -> rgb48 is rounded to 8 bits.
_SWS_FLAGS = ("ACCURATE_RND", "FULL_CHR_H_INT", "BICUBIC")


@dataclass
class SourceFrame:
    """One frame to import: `offset` from the first output frame, `load` gives its pixels."""

    offset: int
    label: int
    path: Path
    load: Callable[[], np.ndarray]


@dataclass
class Source:
    """An opened clip: what it is, and its frames in order (decoded lazily)."""

    path: str
    kind: str
    reader: str
    codec: str
    width: int
    height: int
    bit_depth: int
    decoded_as: str
    alpha: bool
    frame_count: int | None
    frames: Iterator[SourceFrame]
    fps: Fraction | None = None
    pixel_aspect: float = 1.0
    tags: dict[str, int] | None = None
    spec: oiio.ImageSpec | None = None
    extra: dict[str, str] = field(default_factory=dict)
    close: Callable[[], None] = lambda: None

    def describe(self) -> dict[str, Any]:
        return {
            "input": self.path,
            "kind": self.kind,
            "reader": self.reader,
            "codec": self.codec,
            "width": self.width,
            "height": self.height,
            "bit_depth": self.bit_depth,
            "decoded_as": self.decoded_as,
            "alpha": self.alpha,
            "fps": str(self.fps) if self.fps else None,
            **self.extra,
        }


def open_source(clip: str) -> Source:
    """Open a video file, an image sequence (`####`) or a single (possibly animated) image."""
    pattern = FramePattern.parse(clip)
    suffix = Path(pattern.display() if pattern.is_sequence else clip).suffix.lower()
    if suffix == ".exr":
        raise UsageError(f"{clip}: already EXR; use `ghostswap frames convert` for EXR sequences")
    if suffix not in PYAV_SUFFIXES + OIIO_SUFFIXES:
        known = " ".join(PYAV_SUFFIXES + OIIO_SUFFIXES)
        raise UsageError(f"{clip}: unknown clip type {suffix or '(none)'}; give one of {known}")
    if pattern.is_sequence:
        if suffix in PYAV_SUFFIXES or suffix == ".webp":
            raise UsageError(f"{clip}: #### sequences must be stills (PNG, TIFF, DPX, JPEG)")
        return _open_sequence(pattern)
    if not Path(clip).is_file():
        raise InputError(f"{clip}: clip not found; check the path")
    if suffix in PYAV_SUFFIXES:
        return _open_video(Path(clip))
    return _open_image(Path(clip))


def _sws_flags() -> int:
    from av.video.reformatter import Interpolation

    flags = 0
    for name in _SWS_FLAGS:
        flags |= int(getattr(Interpolation, name))
    return flags


def _video_target(fmt: Any) -> tuple[str, int, bool]:
    """PyAV output format, source bit depth, alpha: 16-bit RGB unless the source is 8-bit RGB already."""
    bits = max((c.bits for c in fmt.components), default=8)
    alpha = any(c.is_alpha for c in fmt.components)
    rgb8 = (fmt.is_rgb or fmt.has_palette) and bits <= 8
    if rgb8:
        return ("rgba" if alpha else "rgb24"), bits, alpha
    return ("rgba64le" if alpha else "rgb48le"), bits, alpha


def _open_video(path: Path) -> Source:
    try:
        import av
    except ImportError as exc:  # a main dependency; only a broken install gets here
        raise UsageError(f"{path}: reading video needs PyAV; run `pip install av`") from exc
    try:
        container = av.open(str(path))
    except (av.FFmpegError, UnicodeDecodeError) as exc:
        message = _one_line(exc)
        raise InputError(f"{path}: cannot open this clip ({message}); is it a complete video?") from exc
    if not container.streams.video:
        container.close()
        raise InputError(f"{path}: no video stream in this file")
    stream = container.streams.video[0]
    stream.thread_type = "AUTO"
    decoded = _decode(container, stream, path)
    try:
        first = next(decoded)
    except StopIteration:
        container.close()
        raise InputError(f"{path}: the video stream has no decodable frames") from None
    target, bits, alpha = _video_target(first.format)
    cc = stream.codec_context
    tags = {
        "primaries": int(first.color_primaries or cc.color_primaries or 2),
        "transfer": int(first.color_trc or cc.color_trc or 2),
        "matrix": int(first.colorspace or cc.colorspace or 2),
        "range": int(first.color_range or cc.color_range or 0),
    }
    if getattr(first, "rotation", 0):
        log.warning("%s: display rotation %s° in the metadata is not applied", path, first.rotation)
    sar = cc.sample_aspect_ratio
    extra = {"pix_fmt": first.format.name}
    timecode = stream.metadata.get("timecode") or container.metadata.get("timecode")
    if timecode:
        extra["timecode"] = timecode
    flags = _sws_flags()

    def frames() -> Iterator[SourceFrame]:
        for index, frame in enumerate(_chain(first, decoded)):
            yield SourceFrame(index, index, path, _video_loader(frame, target, flags))

    return Source(
        path=str(path),
        kind="video",
        reader="pyav",
        codec=cc.name,
        width=first.width,
        height=first.height,
        bit_depth=bits,
        decoded_as=target,
        alpha=alpha,
        frame_count=_frame_count(stream, container),
        frames=frames(),
        fps=stream.average_rate or None,
        pixel_aspect=float(sar) if sar else 1.0,
        tags=tags,
        extra=extra,
        close=container.close,
    )


def _chain(first: Any, rest: Iterator[Any]) -> Iterator[Any]:
    yield first
    yield from rest


def _decode(container: Any, stream: Any, path: Path) -> Iterator[Any]:
    import av

    index = 0
    try:
        for frame in container.decode(stream):
            yield frame
            index += 1
    except av.FFmpegError as exc:
        message = f"{path}: frame {index} cannot be decoded ({_one_line(exc)}); the clip is damaged"
        raise InputError(message) from exc


def _video_loader(frame: Any, target: str, flags: int) -> Callable[[], np.ndarray]:
    """The frame's integer RGB(A) codes (uint8 or uint16); scaling to 0..1 is OpenColorIO's job."""

    def load() -> np.ndarray:
        return np.ascontiguousarray(frame.to_ndarray(format=target, interpolation=flags))

    return load


def _frame_count(stream: Any, container: Any) -> int | None:
    if stream.frames:
        return int(stream.frames)
    if container.duration and stream.average_rate:
        return round(container.duration / 1_000_000 * float(stream.average_rate))
    return None


def _open_input(path: Path) -> oiio.ImageInput:
    """OpenImageIO reader that leaves alpha straight (it is premultiplied later, in linear light)."""
    config = oiio.ImageSpec()
    config.attribute("oiio:UnassociatedAlpha", 1)
    inp = oiio.ImageInput.open(str(path), config)
    if inp is None:
        raise InputError(f"{path}: cannot read this image ({_one_line(oiio.geterror()) or 'unreadable'})")
    return inp


def _read(inp: oiio.ImageInput, path: Path, subimage: int) -> np.ndarray:
    """Float RGB or RGBA from one subimage; grey becomes RGB, extra channels are dropped."""
    spec = inp.spec()
    pixels = inp.read_image(subimage, 0, 0, spec.nchannels, "float")
    if pixels is None:
        raise InputError(f"{path}: pixel data is truncated or corrupt ({_one_line(inp.geterror())})")
    pixels = np.asarray(pixels, np.float32).reshape(spec.height, spec.width, spec.nchannels)
    alpha = spec.alpha_channel
    colour = [c for c in range(spec.nchannels) if c != alpha][:3]
    if len(colour) < 3:
        colour = colour[:1] * 3
    return np.ascontiguousarray(pixels[..., colour + ([alpha] if alpha >= 0 else [])])


def _still_info(spec: oiio.ImageSpec) -> tuple[int, bool]:
    bits = spec.get_int_attribute("oiio:BitsPerSample", 0) or spec.format.size() * 8
    return bits, spec.alpha_channel >= 0


def _open_sequence(pattern: FramePattern) -> Source:
    numbers = [int(f) for f in resolve_frames(pattern, None) if f is not None]
    missing = gaps(numbers)
    if missing:
        log.warning(
            "%s: %d frame(s) missing (%s); left as gaps",
            pattern.display(),
            len(missing),
            compact_frames(missing),
        )
    first_path = pattern.path(numbers[0])
    inp = _open_input(first_path)
    spec = inp.spec().copy()
    name = inp.format_name()
    inp.close()
    bits, alpha = _still_info(spec)

    def load_file(path: Path) -> Callable[[], np.ndarray]:
        def load() -> np.ndarray:
            reader = _open_input(path)
            try:
                if (reader.spec().width, reader.spec().height) != (spec.width, spec.height):
                    raise InputError(f"{path}: size differs from {first_path}; a sequence must be one size")
                return _read(reader, path, 0)
            finally:
                reader.close()

        return load

    def frames() -> Iterator[SourceFrame]:
        for number in numbers:
            path = pattern.path(number)
            yield SourceFrame(number - numbers[0], number, path, load_file(path))

    return Source(
        path=pattern.display(),
        kind="sequence",
        reader="openimageio",
        codec=name,
        width=spec.width,
        height=spec.height,
        bit_depth=bits,
        decoded_as="float",
        alpha=alpha,
        frame_count=len(numbers),
        frames=frames(),
        pixel_aspect=spec.get_float_attribute("PixelAspectRatio", 1.0) or 1.0,
        spec=spec,
    )


def _open_image(path: Path) -> Source:
    """One still, or every frame of an animated image (OpenImageIO subimages)."""
    inp = _open_input(path)
    spec = inp.spec().copy()
    count = 1
    if spec.get_int_attribute("oiio:Movie", 0):
        while inp.seek_subimage(count, 0):
            count += 1
    bits, alpha = _still_info(spec)
    name = inp.format_name()

    def frames() -> Iterator[SourceFrame]:
        for index in range(count):
            if not inp.seek_subimage(index, 0):
                raise InputError(f"{path}: frame {index} cannot be read ({_one_line(inp.geterror())})")
            pixels = _read(inp, path, index)
            yield SourceFrame(index, index, path, lambda pixels=pixels: pixels)

    def close() -> None:
        with contextlib.suppress(Exception):
            inp.close()

    return Source(
        path=str(path),
        kind="animation" if count > 1 else "image",
        reader="openimageio",
        codec=name,
        width=spec.width,
        height=spec.height,
        bit_depth=bits,
        decoded_as="float",
        alpha=alpha,
        frame_count=count,
        frames=frames(),
        spec=spec,
        close=close,
        pixel_aspect=spec.get_float_attribute("PixelAspectRatio", 1.0) or 1.0,
    )


def _one_line(value: object) -> str:
    return " ".join(str(value).split())
