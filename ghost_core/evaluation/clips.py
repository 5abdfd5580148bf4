"""Clips to score: EXR sequences (`####`) through the engine's colour path, or video files.

Every frame comes back as model-space float RGB (sRGB-encoded, 0..1), the space the detector,
landmarker and recogniser were trained in. Videos are decoded with PyAV; animated WebP and GIF
(which FFmpeg's decoder does not read) with Pillow. Both are the `eval` extra.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ghost_core.errors import InputError, UsageError
from ghost_core.io.sequence import FramePattern, resolve_frames

PILLOW_FORMATS = (".webp", ".gif", ".apng")
VIDEO_FORMATS = (".mp4", ".mov", ".mkv", ".avi", ".webm", ".m4v", ".mxf")
EVAL_INSTALL = "pip install 'ghostswap[eval]'"


@dataclass(frozen=True)
class Clip:
    """Sampled frames of one clip: `labels` name them (frame numbers or 0-based indices)."""

    path: str
    labels: list[int]
    images: list[np.ndarray]

    def __len__(self) -> int:
        return len(self.images)


def _keep(index: int, start: int, step: int, limit: int | None, kept: int) -> bool:
    return index >= start and (index - start) % step == 0 and (limit is None or kept < limit)


def _pillow_frames(path: Path) -> Iterator[np.ndarray]:
    try:
        from PIL import Image, ImageSequence
    except ImportError as exc:
        raise UsageError(f"{path}: reading {path.suffix} clips needs Pillow; run `{EVAL_INSTALL}`") from exc
    try:
        with Image.open(path) as im:
            for frame in ImageSequence.Iterator(im):
                rgb = np.asarray(frame.convert("RGB"))
                yield rgb.astype(np.float32) / np.float32(np.iinfo(rgb.dtype).max)
    except OSError as exc:
        raise InputError(f"{path}: cannot decode this clip ({exc})") from exc


def _av_frames(path: Path) -> Iterator[np.ndarray]:
    try:
        import av
    except ImportError as exc:
        raise UsageError(f"{path}: reading video needs PyAV; run `{EVAL_INSTALL}`") from exc
    try:
        with av.open(str(path)) as container:
            for frame in container.decode(video=0):
                # 16-bit RGB keeps 10-bit sources above 8 bits.
                rgb = frame.to_ndarray(format="rgb48le")
                yield rgb.astype(np.float32) / np.float32(65535.0)
    except av.FFmpegError as exc:
        raise InputError(f"{path}: cannot decode this video ({exc}); convert it to mp4 or EXRs") from exc


def _sequence_frames(pattern: FramePattern, frames: list[int], ocio: str | None, colorspace: str | None):
    from ghost_core.color import ColorPath, load_config, model_colorspace, plate_colorspace
    from ghost_core.io.exr import read_frame
    from ghost_core.io.source_image import read_source_image

    config = None
    paths: dict[str, ColorPath] = {}
    for f in frames:
        path = pattern.path(f)
        if path.suffix.lower() != ".exr":
            yield read_source_image(path)
            continue
        if config is None:
            config = load_config(ocio)
        plate = read_frame(path)
        space = plate_colorspace(config, colorspace, plate.spec).name
        if space not in paths:
            paths[space] = ColorPath(config, space, model_colorspace(config).name)
        color = paths[space]
        rgba = plate.rgba_source()
        # The engine's detection exposure: faces in dark or hot plates reach the networks at a usual level.
        gain = float(np.clip(color.exposure_gain(rgba), 1 / 16, 16))
        model = color.to_model(rgba[..., :3], gain, clip=True)
        yield np.nan_to_num(model, nan=0.0, posinf=1.0, neginf=0.0)


def read_clip(
    path: str | Path,
    step: int = 1,
    start: int = 0,
    limit: int | None = None,
    ocio: str | None = None,
    colorspace: str | None = None,
) -> Clip:
    """Frames start, start+step, … (0-based positions in the clip), at most `limit`, as model-space RGB."""
    if step < 1 or start < 0:
        raise UsageError(f"frame sampling needs step ≥ 1 and offset ≥ 0, got step {step}, offset {start}")
    text = str(path)
    pattern = FramePattern.parse(text)
    labels: list[int] = []
    images: list[np.ndarray] = []
    if pattern.is_sequence:
        numbers = [int(f) for f in resolve_frames(pattern, None) if f is not None]
        picked = [n for i, n in enumerate(numbers) if i >= start and (i - start) % step == 0]
        picked = picked[:limit] if limit is not None else picked
        images = list(_sequence_frames(pattern, picked, ocio, colorspace))
        labels = picked
    else:
        file = Path(text)
        if not file.is_file():
            raise InputError(f"{file}: clip not found; check the path")
        suffix = file.suffix.lower()
        if suffix in PILLOW_FORMATS:
            frames = _pillow_frames(file)
        elif suffix in VIDEO_FORMATS:
            frames = _av_frames(file)
        else:
            raise UsageError(
                f"{file}: unknown clip type; give an EXR sequence (shot.####.exr) or a "
                f"{', '.join(VIDEO_FORMATS + PILLOW_FORMATS)} file"
            )
        for i, image in enumerate(frames):
            if limit is not None and len(images) >= limit:
                break
            if _keep(i, start, step, limit, len(images)):
                labels.append(i)
                images.append(np.ascontiguousarray(image, np.float32))
    if not images:
        raise InputError(f"{text}: no frames at offset {start} step {step}; check the clip and --offset")
    return Clip(text, labels, images)
