"""Test shots: scene-linear EXR plates generated from ../shared/assets (shared by engine, job, host tests)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import OpenImageIO as oiio
import pytest

from ghost_core.color import ColorPath, load_config, model_colorspace
from ghost_core.io.exr import Frame, read_frame
from ghost_core.io.sequence import FramePattern

SHARED = Path(__file__).resolve().parents[2] / "shared"

ASSETS = SHARED / "assets"
PLATE_SPACE = "ACEScg"
DANCE_FRAMES = 18


def colour_path() -> ColorPath:
    config = load_config("ocio://studio-config-latest")
    return ColorPath(config, PLATE_SPACE, model_colorspace(config).name)


def write_plate_frame(path: Path, linear_rgb: np.ndarray, extra: dict[str, np.ndarray] | None = None) -> None:
    """One half-float RGBA EXR (plus optional extra channels) tagged ACEScg."""
    planes = {"R": linear_rgb[..., 0], "G": linear_rgb[..., 1], "B": linear_rgb[..., 2]}
    planes["A"] = np.ones(linear_rgb.shape[:2], np.float32)
    planes.update(extra or {})
    data = np.stack(list(planes.values()), axis=2).astype(np.float16)
    spec = oiio.ImageSpec(data.shape[1], data.shape[0], data.shape[2], oiio.HALF)
    spec.channelnames = tuple(planes)
    spec.attribute("oiio:ColorSpace", PLATE_SPACE)
    spec.attribute("compression", "zip")
    out = oiio.ImageOutput.create(str(path))
    assert out is not None and out.open(str(path), spec), oiio.geterror()
    assert out.write_image(data), out.geterror()
    out.close()


def video_frames(name: str, count: int) -> list[np.ndarray]:
    """The first `count` frames of a clip in ../shared/assets/video as model-space float RGB."""
    path = ASSETS / "video" / name
    if path.suffix == ".webp":
        from PIL import Image, ImageSequence

        with Image.open(path) as im:
            frames = [np.asarray(f.convert("RGB"), np.float32) / 255 for f in ImageSequence.Iterator(im)]
        return frames[:count]
    cap = cv2.VideoCapture(str(path))
    frames = []
    while len(frames) < count:
        ok, bgr = cap.read()
        if not ok:
            break
        frames.append(bgr[..., ::-1].astype(np.float32) / 255)
    cap.release()
    assert frames, f"could not decode {path}"
    return frames


def write_dance_plate(folder: Path, count: int = DANCE_FRAMES, first: int = 1001) -> str:
    """dance.mp4 as a scene-linear ACEScg half EXR shot with a 6.0 highlight; returns its pattern."""
    folder.mkdir(parents=True, exist_ok=True)
    color = colour_path()
    for i, rgb in enumerate(video_frames("dance.mp4", count)):
        linear = color.from_model(np.ascontiguousarray(rgb))
        linear[8:24, 8:40] = 6.0  # a hot specular in the corner, far from the face
        write_plate_frame(folder / f"plate.{first + i:04d}.exr", linear)
    return str(folder / "plate.####.exr")


@pytest.fixture(scope="session")
def dance_plate(tmp_path_factory: pytest.TempPathFactory) -> str:
    """dance.mp4 as an 18-frame ACEScg half EXR shot, frames 1001-1018."""
    return write_dance_plate(tmp_path_factory.mktemp("dance"))


@pytest.fixture(scope="session")
def short_plate(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The first 4 frames of the dance shot (1001-1004): enough for job, host and farm round trips."""
    return write_dance_plate(tmp_path_factory.mktemp("short"), count=4)


def frame(pattern: str, f: int) -> Frame:
    """Frame `f` of the sequence `pattern` (e.g. an output `swap.####.exr`)."""
    return read_frame(FramePattern.parse(pattern).path(f))


def bits(frame: Frame, name: str) -> np.ndarray:
    """Channel `name` as its raw bit pattern, for bit-exact comparisons."""
    plane = frame.plane(name)
    return plane.view(np.uint16 if plane.dtype == np.float16 else np.uint32)
