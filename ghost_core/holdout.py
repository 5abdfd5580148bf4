"""The user's holdout matte (`matte.holdout`, `--holdout`): where the swap must never paint.

A compositor's roto of a hand or a microphone is the most reliable occlusion there is. It comes
either as its own EXR sequence (`holdout.####.exr`, frame numbers as the plate's; channel A, else
Y, else the only or first channel) or as a channel of the plate itself (`roto.A`). It is read per
frame, so a chunk sees exactly what a whole render sees, and subtracted from the final matte.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ghost_core.errors import InputError
from ghost_core.io.exr import Frame, read_frame
from ghost_core.io.sequence import FramePattern, compact_frames

_PREFERRED = ("A", "Y", "alpha")


def is_file_spec(spec: str) -> bool:
    """True when `spec` names EXR files (a path ending .exr), False when it names a plate channel."""
    return spec.lower().endswith(".exr")


def holdout_path(spec: str, frame: int | None) -> Path | None:
    """The holdout file of one plate frame; None when `spec` names a plate channel."""
    if not is_file_spec(spec):
        return None
    pattern = FramePattern.parse(spec)
    if pattern.is_sequence and frame is None:
        raise InputError(f"{spec}: --holdout is a sequence but the plate is a single frame; give one file")
    return Path(pattern.path(frame if pattern.is_sequence else None))


def check_holdout(spec: str | None, frames: Sequence[int | None]) -> None:
    """Fail before any work when a holdout file of `frames` is missing.

    Otherwise a missing roto frame is found when the render reaches it, maybe hours into a shot.
    """
    if not spec or not is_file_spec(spec) or not frames:
        return
    paths = {f: holdout_path(spec, f) for f in frames}
    missing = [f for f, path in paths.items() if path is not None and not path.is_file()]
    if missing:
        numbered = [f for f in missing if f is not None]
        which = f"frames {compact_frames(numbered)}" if numbered else str(paths[missing[0]])
        raise InputError(
            f"{spec}: no holdout file for {which} of the frames to render; "
            "render the roto for the whole range or narrow --frames"
        )


def _channel(frame: Frame, name: str) -> np.ndarray:
    values = np.asarray(frame.plane(name), np.float32)
    return np.clip(np.nan_to_num(values, nan=0.0, posinf=1.0, neginf=0.0), 0.0, 1.0)


def read_holdout(spec: str, plate: Frame, frame: int | None) -> np.ndarray:
    """The holdout for one plate frame: H×W float32 in 0..1 (non-finite values count as 0)."""
    if not is_file_spec(spec):
        if spec not in plate.channel_names:
            known = ", ".join(plate.channel_names)
            raise InputError(
                f"{plate.path}: no channel {spec!r} for --holdout (channels: {known}); "
                "name a plate channel or an EXR sequence"
            )
        return _channel(plate, spec)
    path = holdout_path(spec, frame)
    assert path is not None  # a file spec
    matte = read_frame(path)
    if (matte.width, matte.height) != (plate.width, plate.height):
        raise InputError(
            f"{path}: holdout is {matte.width}x{matte.height}, the plate {plate.width}x{plate.height}; "
            "--holdout frames must match the plate's size"
        )
    names = matte.channel_names
    name = next((n for n in _PREFERRED if n in names), names[0])
    return _channel(matte, name)
