"""Reading scene-linear EXR frames with everything a compositor put in them.

A `Frame` keeps each channel in its native pixel type (half, float or uint) next to the full
OpenImageIO header, so the writer can put back every untouched pixel bit for bit: a half value
that went through float32 and back is exact, but only the native array also keeps NaN payloads,
uint IDs and the exact type per channel. The float32 RGBA view the colour path needs is derived
from the native planes (exactly) instead of decoding the file twice.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import OpenImageIO as oiio

from ghost_core.errors import InputError

NUMPY_TYPES: dict[str, type[np.generic]] = {"half": np.float16, "float": np.float32, "uint": np.uint32}
COLOUR_CHANNELS = ("R", "G", "B")
ALPHA_CHANNEL = "A"


LUMINANCE_CHANNELS = ("Y", "RY", "BY")


def _message(get: object) -> str:
    """One OpenImageIO error message; a damaged header can put bytes in it that are not UTF-8."""
    try:
        return str(get())  # type: ignore[operator]
    except UnicodeDecodeError:
        return "the error message holds bytes that are not text (a damaged header)"


def _oiio_error(source: object | None = None) -> str:
    """Pending OpenImageIO messages on one line; reading clears them (else OIIO prints them at exit)."""
    messages = [_message(source.geterror) if source is not None else "", _message(oiio.geterror)]
    return " ".join(" ".join(m for m in messages if m).split()) or "unknown error"


@contextlib.contextmanager
def open_exr(path: Path) -> Iterator[oiio.ImageInput]:
    """Open `path` for reading, refusing anything that is not a flat OpenEXR file."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: file not found; check the path and frame range")
    inp = oiio.ImageInput.open(str(path))
    if inp is None:
        raise InputError(f"{path}: not a readable EXR ({_oiio_error()}); re-render or re-copy the frame")
    try:
        if inp.format_name() != "openexr":
            raise InputError(
                f"{path}: this is a {inp.format_name()} file with an .exr name; convert it to EXR first"
            )
        if inp.spec().deep:
            raise InputError(f"{path}: deep EXR is not supported; flatten it first (oiiotool --flatten)")
        yield inp
    finally:
        inp.close()


def channel_formats(spec: oiio.ImageSpec) -> list[str]:
    """The pixel type name of every channel ('half', 'float' or 'uint')."""
    return [str(spec.channelformat(i)) for i in range(spec.nchannels)]


def check_pixels_present(inp: oiio.ImageInput, path: Path) -> None:
    """Decode the last chunk: a file cut short (copy or render killed) fails here, cheaply."""
    spec = inp.spec()
    last_y = spec.y + spec.height - 1
    if spec.tile_width:
        x0 = spec.x + ((spec.width - 1) // spec.tile_width) * spec.tile_width
        y0 = spec.y + ((spec.height - 1) // spec.tile_height) * spec.tile_height
        pixels = inp.read_tile(x0, y0, spec.z, "float")
    else:
        pixels = inp.read_scanline(last_y, spec.z, "float")
    if pixels is None:
        raise InputError(
            f"{path}: pixel data is truncated or corrupt ({_oiio_error(inp)}); re-render or re-copy the frame"
        )


@dataclass
class Frame:
    """One EXR frame: header, native per-channel pixel planes (H×W, top row first) and extra parts."""

    path: Path
    spec: oiio.ImageSpec
    planes: list[np.ndarray]
    part_count: int = 1
    # H×W×k arrays as decoded, one per run of same-type channels (`planes` are views into them).
    blocks: list[np.ndarray] = field(default_factory=list, repr=False)
    _rgba: np.ndarray | None = field(default=None, repr=False)

    @property
    def channel_names(self) -> tuple[str, ...]:
        return tuple(self.spec.channelnames)

    @property
    def formats(self) -> list[str]:
        return channel_formats(self.spec)

    @property
    def height(self) -> int:
        return self.spec.height

    @property
    def width(self) -> int:
        return self.spec.width

    @property
    def has_alpha(self) -> bool:
        return ALPHA_CHANNEL in self.channel_names

    def plane(self, name: str) -> np.ndarray:
        return self.planes[self.channel_names.index(name)]

    def rgba(self) -> np.ndarray:
        """Float32 H×W×4 scene-linear RGBA (exact copy of half/float values); alpha is 1 when absent."""
        if self._rgba is None:
            out = np.empty((self.height, self.width, 4), np.float32)
            for i, name in enumerate(COLOUR_CHANNELS):
                out[..., i] = self.plane(name)
            out[..., 3] = self.plane(ALPHA_CHANNEL) if self.has_alpha else 1.0
            self._rgba = out
        return self._rgba

    def rgba_source(self) -> np.ndarray:
        """RGBA for the colour path without a float32 copy when the file stores R,G,B,A together.

        A view of the decoded H×W×4 half/float block (the colour path converts it chunk by chunk
        on all cores), else the float32 `rgba()`.
        """
        if self.channel_names[:4] == (*COLOUR_CHANNELS, ALPHA_CHANNEL) and self.blocks:
            first = self.blocks[0]
            if first.shape[2] >= 4 and first.dtype in (np.float16, np.float32):
                return first[..., :4]
        return self.rgba()

    def windows(self) -> dict[str, list[int]]:
        """Data window and display window as [x, y, width, height] (EXR pixel coordinates)."""
        s = self.spec
        return {
            "data_window": [s.x, s.y, s.width, s.height],
            "display_window": [s.full_x, s.full_y, s.full_width, s.full_height],
        }


def _channel_runs(formats: list[str]) -> list[tuple[int, int, str]]:
    """Consecutive channels sharing one pixel type, each read in a single call."""
    runs: list[tuple[int, int, str]] = []
    for i, fmt in enumerate(formats):
        if runs and runs[-1][2] == fmt:
            runs[-1] = (runs[-1][0], i + 1, fmt)
        else:
            runs.append((i, i + 1, fmt))
    return runs


def luminance_layout(names: tuple[str, ...]) -> str | None:
    """'luminance' (Y) or 'luminance/chroma' (Y, RY, BY) for a plate without R, G and B, else None."""
    if any(c in names for c in COLOUR_CHANNELS) or LUMINANCE_CHANNELS[0] not in names:
        return None
    return "luminance/chroma" if any(c in names for c in LUMINANCE_CHANNELS[1:]) else "luminance"


def layout_problem(spec: oiio.ImageSpec) -> str | None:
    """Why GhostSwap cannot render a plate with this header (no path: a sequence shares it), or None.

    Luminance plates are refused rather than converted: OpenImageIO hands back the raw Y/RY/BY
    channels, and a face swapped in RGB cannot be written back into the plate's own Y/RY/BY
    layout without a lossy conversion, so the user converts the sequence once, knowingly.
    """
    names = tuple(spec.channelnames)
    if any("\udc80" <= ch <= "\udcff" for name in names for ch in name):
        shown = ", ".join(ascii(n) for n in names)
        return f"a channel name is not text ({shown}); the header looks damaged"
    luminance = luminance_layout(names)
    if luminance:
        alpha = ",A=A" if ALPHA_CHANNEL in names else ""
        return (
            f"{luminance} EXR (channels {', '.join(sorted(names))}); GhostSwap renders RGB or RGBA plates "
            "and writes each plate back in its own layout, which it cannot do for Y/RY/BY: convert the "
            f"plate to RGB first (Y only: oiiotool IN --ch R=Y,G=Y,B=Y{alpha} -o OUT; "
            "Y/RY/BY: read it in your compositor and write RGB)"
        )
    missing = [c for c in COLOUR_CHANNELS if c not in names]
    if missing:
        return (
            f"no {','.join(missing)} channel (found {', '.join(names)}); "
            "GhostSwap needs an RGB or RGBA plate in the first part"
        )
    formats = channel_formats(spec)
    for name in (*COLOUR_CHANNELS, ALPHA_CHANNEL):
        if name in names and formats[names.index(name)] not in ("half", "float"):
            return f"channel {name} is {formats[names.index(name)]}; colour must be half or float"
    unknown = sorted({f for f in formats if f not in NUMPY_TYPES})
    if unknown:
        return f"unsupported pixel type {', '.join(unknown)}; EXR channels are half/float/uint"
    return None


def _check_layout(path: Path, spec: oiio.ImageSpec) -> None:
    problem = layout_problem(spec)
    if problem:
        raise InputError(f"{path}: {problem}")


def read_frame(path: Path) -> Frame:
    """Read the first part of an EXR with native planes and full header; later parts stay on disk."""
    path = Path(path)
    with open_exr(path) as inp:
        spec = inp.spec().copy()
        _check_layout(path, spec)
        formats = channel_formats(spec)
        planes: list[np.ndarray] = []
        blocks: list[np.ndarray] = []
        for begin, end, fmt in _channel_runs(formats):
            pixels = inp.read_image(0, 0, begin, end, fmt)
            if pixels is None:
                raise InputError(
                    f"{path}: pixel data is truncated or corrupt ({_oiio_error(inp)}); "
                    "re-render or re-copy the frame"
                )
            pixels = pixels.reshape(spec.height, spec.width, end - begin)
            blocks.append(pixels)
            planes.extend(pixels[..., i] for i in range(end - begin))
        parts = max(1, spec.get_int_attribute("oiio:subimages", 1))
    return Frame(path=path, spec=spec, planes=planes, part_count=parts, blocks=blocks)


def read_header(path: Path, check_pixels: bool = True, check_layout: bool = True) -> oiio.ImageSpec:
    """The first part's header; with `check_pixels` the last chunk is decoded to catch truncation.

    `check_layout=False` returns headers GhostSwap cannot render too (for `frames info`, which
    reports a whole sequence's layout problem once).
    """
    path = Path(path)
    with open_exr(path) as inp:
        spec = inp.spec().copy()
        if check_layout:
            _check_layout(path, spec)
        if check_pixels:
            check_pixels_present(inp, path)
    return spec
