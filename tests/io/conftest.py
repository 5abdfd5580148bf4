"""Shared helpers for the frame-layer tests: EXRs are generated here with OpenImageIO, never committed."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import OpenImageIO as oiio
import pytest

from ghost_core.cli import app as cli
from ghost_core.cli.frames import register as register_frames

NUMPY = {"half": np.float16, "float": np.float32, "uint": np.uint32}


def write_exr(
    path: Path,
    channels: Mapping[str, np.ndarray],
    formats: Sequence[str] | None = None,
    compression: str = "zip",
    data_window: tuple[int, int] | None = None,
    display_window: tuple[int, int, int, int] | None = None,
    attributes: Mapping[str, Any] | None = None,
) -> Path:
    """Write one EXR with the given channels (H×W arrays, native dtypes) and header fields."""
    names = list(channels)
    planes = [np.asarray(channels[n]) for n in names]
    formats = list(formats or [str(oiio.TypeDesc(_type_name(p.dtype))) for p in planes])
    height, width = planes[0].shape
    spec = oiio.ImageSpec(width, height, len(names), formats[0])
    spec.channelnames = tuple(names)
    spec.channelformats = tuple(oiio.TypeDesc(f) for f in formats)
    spec.attribute("compression", compression)
    if data_window:
        spec.x, spec.y = data_window
    if display_window:
        spec.full_x, spec.full_y, spec.full_width, spec.full_height = display_window
    for key, value in (attributes or {}).items():
        spec.attribute(key, value)
    if len(set(formats)) == 1:
        buffer = np.stack([p.astype(NUMPY[formats[0]]) for p in planes], axis=-1)
    else:
        # OpenImageIO maps float to uint as a normalised value.
        normalised = [p / 4294967295.0 if f == "uint" else p for p, f in zip(planes, formats, strict=True)]
        buffer = np.stack([p.astype(np.float32) for p in normalised], axis=-1)
    out = oiio.ImageOutput.create(str(path))
    assert out.open(str(path), spec), out.geterror()
    assert out.write_image(buffer), out.geterror()
    out.close()
    return Path(path)


def _type_name(dtype: np.dtype) -> str:
    return {np.dtype(np.float16): "half", np.dtype(np.float32): "float", np.dtype(np.uint32): "uint"}[dtype]


def plate_pixels(height: int = 24, width: int = 32, seed: int = 0, peak: float = 16.0) -> np.ndarray:
    """Scene-linear RGBA with highlights up to `peak`, a few negatives and soft alpha (float32)."""
    rng = np.random.default_rng(seed)
    rgba = rng.random((height, width, 4), dtype=np.float32)
    rgba[..., :3] = rgba[..., :3] ** 3 * peak - 0.05
    rgba[0, 0, :3] = peak
    return rgba


def read_planes(path: Path) -> tuple[oiio.ImageSpec, dict[str, np.ndarray]]:
    """Native planes of the first part, read channel by channel in each channel's own type."""
    inp = oiio.ImageInput.open(str(path))
    assert inp is not None, oiio.geterror()
    spec = inp.spec().copy()
    planes = {}
    for i, name in enumerate(spec.channelnames):
        planes[name] = inp.read_image(0, 0, i, i + 1, spec.channelformat(i))[..., 0]
    inp.close()
    return spec, planes


def bits(array: np.ndarray) -> np.ndarray:
    """Raw bit view, so NaN payloads and -0 compare exactly."""
    return array.view({2: np.uint16, 4: np.uint32}[array.dtype.itemsize])


@pytest.fixture
def run_cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Callable[..., Any]:
    """Run `ghostswap` with only the frames registrar (other command families may not exist here)."""
    monkeypatch.setattr(cli, "_registrars", lambda: [register_frames])

    def run(*argv: str) -> tuple[int, str, str]:
        code = cli.main(list(argv))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


@pytest.fixture
def exr() -> SimpleNamespace:
    """The helpers above, as a fixture (test modules cannot import conftest safely)."""
    return SimpleNamespace(write=write_exr, plate=plate_pixels, read=read_planes, bits=bits)
