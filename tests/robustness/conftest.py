"""Helpers for the robustness tests: tiny EXRs written here with OpenImageIO, and CLI runners.

Most checks call `ghost_core.cli.main` in-process (fast on a 2-core CI machine); the few that
must prove something about a real process (no traceback, no signal, a closed pipe) start one.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import OpenImageIO as oiio
import pytest

from ghost_core.cli import main
from ghost_core.errors import GhostSwapError
from tests.shots import ASSETS

REPO = Path(__file__).resolve().parents[2]
PHOTO = str(ASSETS / "faces" / "elon_musk.jpg")
H, W = 48, 32  # three 16-line ZIP chunks: a header, an offset table and chunk data to damage


def documented_exit_codes() -> set[int]:
    """Every exit code a GhostSwapError subclass in ghost_core/errors.py declares."""
    import ghost_core.errors as errors

    classes = [v for v in vars(errors).values() if isinstance(v, type) and issubclass(v, GhostSwapError)]
    return {c.exit_code for c in classes}


def gradient_rgba(height: int = H, width: int = W) -> np.ndarray:
    """A smooth half RGBA image: ZIP compresses it, so every chunk holds real compressed data."""
    y = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None]
    x = np.linspace(0.0, 1.0, width, dtype=np.float32)[None, :]
    planes = [4.0 * x * y, y + 0 * x, x + 0 * y, np.ones((height, width), np.float32)]
    return np.stack(planes, axis=2).astype(np.float16)


def write_exr(
    path: Path,
    pixels: np.ndarray,
    names: Sequence[str] = ("R", "G", "B", "A"),
    attributes: dict[str, str] | None = None,
) -> Path:
    """One single-part scanline EXR (half, ZIP) with the given channels and string attributes."""
    spec = oiio.ImageSpec(pixels.shape[1], pixels.shape[0], pixels.shape[2], oiio.HALF)
    spec.channelnames = tuple(names)
    spec.attribute("compression", "zip")
    for key, value in (attributes or {}).items():
        spec.attribute(key, value)
    out = oiio.ImageOutput.create(str(path))
    assert out is not None and out.open(str(path), spec), oiio.geterror()
    assert out.write_image(pixels), out.geterror()
    out.close()
    return Path(path)


def write_sequence(folder: Path, frames: Sequence[int] = (1001, 1002), name: str = "plate") -> str:
    """A tiny valid RGBA plate sequence; returns its #### pattern."""
    folder.mkdir(parents=True, exist_ok=True)
    for frame in frames:
        write_exr(folder / f"{name}.{frame:04d}.exr", gradient_rgba())
    return str(folder / f"{name}.####.exr")


def run_main(argv: Sequence[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """`ghostswap ARGV` in this process: (exit code, stdout, stderr)."""
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def cli_env(**extra: str) -> dict[str, str]:
    """The environment for a real `python -m ghost_core.cli`: this checkout first on sys.path."""
    return {**os.environ, "PYTHONPATH": str(REPO), **extra}


def run_process(
    argv: Sequence[str], timeout: float = 120, **popen: object
) -> subprocess.CompletedProcess[str]:
    """`python -m ghost_core.cli ARGV` as a real process."""
    return subprocess.run(
        [sys.executable, "-m", "ghost_core.cli", *argv],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=popen.pop("env", None) or cli_env(),
        **popen,  # type: ignore[arg-type]
    )


def write_job(path: Path, **fields: object) -> Path:
    """A job file with the required keys plus `fields` (morph: no weights needed)."""
    job: dict[str, object] = {
        "schema": "ghostswap.job",
        "version": 1,
        "sources": [PHOTO],
        "swapper": {"name": "morph"},
        **fields,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(job), encoding="utf-8")
    return path
