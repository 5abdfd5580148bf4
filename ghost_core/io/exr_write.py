"""Writing GhostSwap output frames: the swapped plate as RGBA, the face matte, and everything else untouched.

Where the matte is 0 the output pixels are the input's native values, copied as bits (no
float->half rounding, NaN payloads kept). Every other channel, layer, part and header field of
the input is written back as read. Lossy input compression (DWA, B44) is replaced by ZIP by
default, because re-encoding decoded pixels with a lossy codec changes them again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import OpenImageIO as oiio

from ghost_core import __version__
from ghost_core.errors import OutputError
from ghost_core.io.atomic import atomic_output
from ghost_core.io.exr import ALPHA_CHANNEL, COLOUR_CHANNELS, NUMPY_TYPES, Frame, _oiio_error, open_exr

LOSSY_COMPRESSIONS = frozenset({"dwaa", "dwab", "b44", "b44a"})
COMPLETE_MARKER = "ghost:complete"
# Attributes the EXR reader reports about the file it read (the writer works them out again),
# and texture attributes that would describe levels or pixels this file no longer has: only MIP
# level 0 is written, and a texture hash or average colour is stale once the face changed.
_READER_ONLY = ("oiio:subimages", "openexr:chunkCount", "oiio:miplevels", "textureformat")
_STALE = ("oiio:SHA-1", "oiio:AverageColor", "oiio:ConstantColor")

MetadataValue = str | int | float


@dataclass(frozen=True)
class WriteOptions:
    """How the output frame is laid out."""

    matte_name: str = "ghost.matte"
    matte_format: str = "half"
    extra_layers: tuple[str, ...] = ()  # further matte channels after the matte (occlusion, regions)
    keep_lossy_compression: bool = False


def _set_channels(spec: oiio.ImageSpec, names: list[str], formats: list[str]) -> None:
    spec.nchannels = len(names)
    spec.channelnames = tuple(names)
    spec.set_format(_widest(formats))
    spec.channelformats = tuple(oiio.TypeDesc(f) for f in formats)
    spec.alpha_channel = names.index(ALPHA_CHANNEL) if ALPHA_CHANNEL in names else -1


def _widest(formats: list[str]) -> str:
    return max(formats, key=lambda f: np.dtype(NUMPY_TYPES[f]).itemsize)


def _apply_metadata(spec: oiio.ImageSpec, metadata: Mapping[str, MetadataValue] | None) -> None:
    """Stamp `ghost:*` provenance; `ghost:complete` goes last so resume can trust it."""
    values: dict[str, MetadataValue] = {"engine_version": __version__, **(metadata or {})}
    for key, value in values.items():
        name = key if key.startswith("ghost:") else f"ghost:{key}"
        if isinstance(value, bool):
            value = int(value)
        elif not isinstance(value, int | float | str):
            value = str(value)
        spec.attribute(name, value)
    spec.attribute(COMPLETE_MARKER, 1)


def _output_spec(frame: Frame, names: list[str], formats: list[str], options: WriteOptions) -> oiio.ImageSpec:
    """The input header with a new channel list; lossy compression swapped for ZIP unless asked to keep it."""
    spec = frame.spec.copy()
    for attr in (*_READER_ONLY, *_STALE):
        spec.erase_attribute(attr)
    _set_channels(spec, names, formats)
    compression = spec.get_string_attribute("compression", "")
    if compression.split(":")[0].lower() in LOSSY_COMPRESSIONS and not options.keep_lossy_compression:
        spec.attribute("compression", "zip")
        spec.attribute("ghost:source_compression", compression)
    return spec


def output_layout(
    channel_names: Sequence[str],
    formats: Sequence[str],
    options: WriteOptions | None = None,
    with_matte: bool = True,
) -> tuple[list[str], list[str]]:
    """Output channel names and pixel types: input channels, A added if absent, then the matte layers."""
    options = options or WriteOptions()
    names, formats = list(channel_names), list(formats)
    if ALPHA_CHANNEL not in names:
        at = max(names.index(c) for c in COLOUR_CHANNELS) + 1
        names.insert(at, ALPHA_CHANNEL)
        formats.insert(at, formats[names.index("R")])
    if with_matte:
        if options.matte_name in names:
            raise OutputError(f"input already has a channel {options.matte_name}; choose another matte name")
        names.append(options.matte_name)
        formats.append(options.matte_format)
    for name in options.extra_layers:
        if name in names:
            raise OutputError(f"input already has a channel {name}; choose another --layers name or prefix")
        names.append(name)
        formats.append(options.matte_format)
    return names, formats


def _pixel_buffer(formats: list[str], height: int, width: int) -> tuple[np.ndarray, bool]:
    """One interleaved buffer; native dtype when all channels share a type, else float32 (exact for half)."""
    if len(set(formats)) == 1:
        return np.empty((height, width, len(formats)), NUMPY_TYPES[formats[0]]), True
    return np.empty((height, width, len(formats)), np.float32), False


def _store(buffer: np.ndarray, index: int, plane: np.ndarray, fmt: str, native: bool) -> None:
    if fmt == "uint" and not native:
        # OpenImageIO converts float to uint as a normalised value; the write is verified afterwards.
        buffer[..., index] = plane.astype(np.float64) / 4294967295.0
    else:
        buffer[..., index] = plane


def _store_colour(
    buffer: np.ndarray,
    index: int,
    fmt: str,
    frame: Frame,
    name: str,
    rgba: np.ndarray | None,
    box: tuple[slice, slice],
    mask: np.ndarray | None,
    mask_full: bool,
) -> None:
    """R, G, B or A into the buffer: input bits where the matte is 0, new values (rounded once) elsewhere.

    `mask_full`: the matte is above 0 over the whole box, so no per-pixel selection is needed.
    """
    plane = buffer[..., index]
    component = (*COLOUR_CHANNELS, ALPHA_CHANNEL).index(name)
    replaced = rgba is not None and mask is not None and component < rgba.shape[2]
    if not (replaced and mask_full and plane[box].shape == plane.shape):
        plane[...] = frame.plane(name) if name in frame.channel_names else 1.0
    if replaced:
        values = rgba[..., component]
        if buffer.dtype != NUMPY_TYPES[fmt]:  # mixed-type float32 buffer: hold the exact half value
            values = values.astype(NUMPY_TYPES[fmt])
        np.copyto(plane[box], values, where=True if mask_full else mask, casting="unsafe")


def _box(rgba: np.ndarray | None, origin: tuple[int, int], shape: tuple[int, int]) -> tuple[slice, slice]:
    """Array slices of the `rgba` patch at `origin` (x, y); it must lie inside the frame."""
    x, y = origin
    height, width = rgba.shape[:2] if rgba is not None else shape
    if x < 0 or y < 0 or x + width > shape[1] or y + height > shape[0]:
        raise ValueError(
            f"write_frame: rgba {width}x{height} at {origin} does not fit the {shape[1]}x{shape[0]} frame"
        )
    return slice(y, y + height), slice(x, x + width)


def write_frame(
    path: Path,
    frame: Frame,
    *,
    rgba: np.ndarray | None = None,
    matte: np.ndarray | None = None,
    origin: tuple[int, int] = (0, 0),
    metadata: Mapping[str, MetadataValue] | None = None,
    options: WriteOptions | None = None,
    matte_path: Path | None = None,
    layers: Mapping[str, np.ndarray] | None = None,
) -> None:
    """Atomically write the output frame.

    `rgba` (h×w×3 or ×4, float, scene-linear) is the new plate for the box whose top-left array
    pixel is `origin` (x, y) (the whole frame by default); it replaces the input only where the
    full-frame `matte` (H×W, 0..1) is above 0. Everywhere else the input's native bits are kept.
    The matte becomes the `options.matte_name` layer, or its own single-channel file at
    `matte_path` (written first, so a finished main frame implies a finished matte).
    `layers` fills the `options.extra_layers` channels (H×W each; a layer not given is written as 0).
    """
    options = options or WriteOptions()
    if rgba is not None and matte is None:
        raise ValueError("write_frame: rgba needs the matte that says where it applies")
    shape = (frame.height, frame.width)
    if matte is None:
        matte = np.zeros(shape, np.float32)
    if matte.shape != shape:
        raise ValueError(f"write_frame: the matte must be {shape}, got {matte.shape}")
    box = _box(rgba, origin, shape)
    if matte_path is not None:
        write_matte(matte_path, frame, matte, metadata, options)

    names, formats = output_layout(frame.channel_names, frame.formats, options, matte_path is None)
    buffer, native = _pixel_buffer(formats, *shape)
    mask = matte[box] > 0 if rgba is not None else None
    mask_full = mask is not None and bool(mask.all())
    for i, (name, fmt) in enumerate(zip(names, formats, strict=True)):
        if name in (*COLOUR_CHANNELS, ALPHA_CHANNEL):
            _store_colour(buffer, i, fmt, frame, name, rgba, box, mask, mask_full)
        elif name == options.matte_name and matte_path is None:
            buffer[..., i] = matte
        elif name in options.extra_layers:
            buffer[..., i] = (layers or {}).get(name, 0.0)
        else:
            _store(buffer, i, frame.plane(name), fmt, native)

    spec = _output_spec(frame, names, formats, options)
    _apply_metadata(
        spec, {"matte": options.matte_name if matte_path is None else str(matte_path), **(metadata or {})}
    )
    uint_planes = (
        {} if native else {n: frame.plane(n) for n, f in zip(names, formats, strict=True) if f == "uint"}
    )
    _write_exr(Path(path), spec, buffer, frame, verify_uint=uint_planes)


def write_matte(
    path: Path,
    frame: Frame,
    matte: np.ndarray,
    metadata: Mapping[str, MetadataValue] | None = None,
    options: WriteOptions | None = None,
) -> None:
    """Atomically write the matte alone: one channel `A`, same windows and header as the plate."""
    options = options or WriteOptions()
    spec = _output_spec(frame, [ALPHA_CHANNEL], [options.matte_format], options)
    _apply_metadata(spec, metadata)
    buffer = matte.astype(NUMPY_TYPES[options.matte_format])[..., None]
    _write_exr(Path(path), spec, buffer, None)


def write_rgba(
    path: Path,
    frame: Frame,
    rgba: np.ndarray,
    metadata: Mapping[str, MetadataValue] | None = None,
    colorspace: str | None = None,
) -> None:
    """Atomically write a plain RGBA image (e.g. the model-space view) with the plate's header and windows."""
    fmt = frame.formats[frame.channel_names.index("R")]
    spec = _output_spec(frame, [*COLOUR_CHANNELS, ALPHA_CHANNEL], [fmt] * 4, WriteOptions())
    if colorspace:
        spec.attribute("oiio:ColorSpace", colorspace)
    _apply_metadata(spec, metadata)
    _write_exr(Path(path), spec, rgba.astype(NUMPY_TYPES[fmt]), None)


def _write_exr(
    path: Path,
    spec: oiio.ImageSpec,
    buffer: np.ndarray,
    parts_from: Frame | None,
    verify_uint: Mapping[str, np.ndarray] | None = None,
) -> None:
    """Write `buffer` as the first part (plus the source's other parts, copied natively) via a temp file."""
    with atomic_output(path) as tmp:
        out = oiio.ImageOutput.create(str(tmp))
        if out is None:
            raise OutputError(f"{path}: cannot create an EXR writer ({_oiio_error()})")
        try:
            if parts_from is not None and parts_from.part_count > 1:
                _write_parts(out, tmp, path, spec, buffer, parts_from)
            else:
                if not out.open(str(tmp), spec) or not out.write_image(buffer):
                    raise OutputError(_write_failed(path, out))
        finally:
            out.close()
        if verify_uint:
            _verify_uint(tmp, path, verify_uint)


def _write_failed(path: Path, out: oiio.ImageOutput) -> str:
    return f"{path}: write failed ({_oiio_error(out)}); check free space and the output folder"


def _write_parts(
    out: oiio.ImageOutput, tmp: Path, path: Path, spec: oiio.ImageSpec, buffer: np.ndarray, source: Frame
) -> None:
    """Multi-part EXR: part 0 is the new plate, every later part is copied from the source unchanged."""
    with open_exr(source.path) as inp:
        specs = [spec]
        for part in range(1, source.part_count):
            if not inp.seek_subimage(part, 0):
                raise OutputError(f"{source.path}: cannot read part {part} ({_oiio_error(inp)})")
            part_spec = inp.spec().copy()
            for attr in _READER_ONLY:
                part_spec.erase_attribute(attr)
            specs.append(part_spec)
        if not out.open(str(tmp), specs) or not out.write_image(buffer):
            raise OutputError(_write_failed(path, out))
        for part in range(1, source.part_count):
            inp.seek_subimage(part, 0)
            if not out.open(str(tmp), specs[part], "AppendSubimage") or not out.copy_image(inp):
                raise OutputError(f"{path}: copying part {part} failed ({_oiio_error(out)})")


def _verify_uint(tmp: Path, path: Path, originals: Mapping[str, np.ndarray]) -> None:
    """Mixed-type frames pass uint channels through float; refuse the frame unless they came back exact."""
    with open_exr(tmp) as inp:
        written = list(inp.spec().channelnames)
        for name, original in originals.items():
            i = written.index(name)
            got = inp.read_image(0, 0, i, i + 1, "uint")
            if got is None or not np.array_equal(got[..., 0], original):
                raise OutputError(
                    f"{path}: uint channel {name} cannot be kept exact next to half/float channels; "
                    "split it into its own file (oiiotool --ch) before the swap"
                )
