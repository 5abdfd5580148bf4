"""The demo's contact sheet: plate / swap / matte overlay per frame, and a row of the matte layers.

The matte layers (`--layers`: occlusion, skin, brows, eyes, nose, mouth, expression) are what a
compositor grades or holds back with, so the sheet shows each one next to the final matte, as a
labelled close-up of the face (at full-frame tile size a face is a few dozen pixels and a brow
or eye mask would not be visible). Display sRGB, 16-bit PNG.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ghost_core.color import ColorPath
from ghost_core.engine.layers import LAYERS
from ghost_core.errors import InputError
from ghost_core.io.png16 import write_png16

SHEET_WIDTH = 960
FRAME_TILES = ("plate", "swap", "matte")  # the full-frame tiles of each row
LAYER_TILES = ("final", *LAYERS)  # the close-ups under them: the final matte, then every layer
CLOSE_UP_MARGIN = 0.25  # of the face box's side, on every side
TINT = np.array([1.0, 0.2, 0.2], np.float32)  # layer colour over the (dimmed) swap
MIN_VISIBLE = 0.01  # matte values the close-up box is framed on


@dataclass(frozen=True)
class Tile:
    """Where one labelled tile sits on the sheet (pixels), so tests and tools can find it."""

    frame: int
    label: str
    x: int
    y: int
    width: int
    height: int


def _label(tile: np.ndarray, text: str) -> np.ndarray:
    """The tile's name in its top-left corner, white on a dark band so it reads on any picture.

    OpenCV draws text on 8-bit images only: the strokes are drawn as 8-bit coverage, then blended.
    """
    scale = 0.4 if tile.shape[1] < 200 else 0.55
    (width, height), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
    out = np.array(tile, np.float32)
    out[: height + base + 4, : width + 6] *= 0.35
    stroke = np.zeros(tile.shape[:2], np.uint8)
    cv2.putText(stroke, text, (3, height + 2), cv2.FONT_HERSHEY_SIMPLEX, scale, 255, 1, cv2.LINE_AA)
    alpha = stroke.astype(np.float32)[..., None] / 255.0
    return out * (1.0 - alpha) + alpha


def _overlay(view: np.ndarray, plane: np.ndarray, dim: float) -> np.ndarray:
    """`plane` (0..1) as the tint over the view dimmed by `dim`, so a layer's extent is obvious."""
    weight = np.clip(plane, 0.0, 1.0)[..., None]
    return view * (1.0 - dim * weight) + TINT * dim * weight


def close_up_box(matte: np.ndarray) -> tuple[int, int, int, int] | None:
    """A square (x, y, side, side) around the matte plus a margin, clipped to the frame; None if empty."""
    ys, xs = np.nonzero(matte > MIN_VISIBLE)
    if len(xs) == 0:
        return None
    height, width = matte.shape
    side = int(max(xs.max() - xs.min(), ys.max() - ys.min()) * (1 + 2 * CLOSE_UP_MARGIN)) + 1
    side = min(side, width, height)
    cx, cy = (xs.min() + xs.max()) // 2, (ys.min() + ys.max()) // 2
    x0 = int(np.clip(cx - side // 2, 0, width - side))
    y0 = int(np.clip(cy - side // 2, 0, height - side))
    return x0, y0, side, side


def _resize(image: np.ndarray, width: int, height: int) -> np.ndarray:
    shrink = width <= image.shape[1]
    method = cv2.INTER_AREA if shrink else cv2.INTER_LINEAR
    return cv2.resize(np.ascontiguousarray(image), (width, height), interpolation=method)


def _layer_row(view: np.ndarray, matte: np.ndarray, planes: dict[str, np.ndarray], size: int) -> np.ndarray:
    """The close-ups: the final matte and each layer over the swap's face (black when no face)."""
    box = close_up_box(matte)
    tiles = []
    for label in LAYER_TILES:
        if box is None:
            tile = np.zeros((size, size, 3), np.float32)
        else:
            x, y, w, h = box
            plane = matte if label == "final" else planes[label]
            tile = _resize(_overlay(view[y : y + h, x : x + w], plane[y : y + h, x : x + w], 0.6), size, size)
        tiles.append(_label(tile, label))
    return np.concatenate(tiles, axis=1)


def contact_sheet(
    path: Path, plate: str, swapped: str, frames: list[int], color: ColorPath, prefix: str = "ghost."
) -> list[Tile]:
    """Write the sheet; per frame a row of plate / swap / matte overlay, then one close-up per layer.

    The swapped EXRs must carry every layer (`--layers all` with `prefix`); returns where each
    labelled tile went.
    """
    from ghost_core.io.exr import read_frame
    from ghost_core.io.sequence import FramePattern

    src, dst = FramePattern.parse(plate), FramePattern.parse(swapped)
    frame_tile = SHEET_WIDTH // len(FRAME_TILES)
    layer_tile = SHEET_WIDTH // len(LAYER_TILES)
    rows: list[np.ndarray] = []
    placed: list[Tile] = []
    y = 0
    for f in frames:
        before, after = read_frame(src.path(f)), read_frame(dst.path(f))
        missing = [f"{prefix}{name}" for name in LAYERS if f"{prefix}{name}" not in after.channel_names]
        if missing:
            raise InputError(f"{dst.path(f)}: no {', '.join(missing)} channel; render with --layers all")
        matte = after.plane("ghost.matte").astype(np.float32)
        planes = {name: after.plane(f"{prefix}{name}").astype(np.float32) for name in LAYERS}
        view_before = color.to_model(before.rgba()[..., :3])
        view_after = color.to_model(after.rgba()[..., :3])
        full = (view_before, view_after, _overlay(view_after, matte, 0.5))
        h = round(frame_tile * after.height / after.width)
        top = [
            _label(_resize(t, frame_tile, h), f"{name} {f}")
            for name, t in zip(FRAME_TILES, full, strict=True)
        ]
        rows.append(np.concatenate(top, axis=1))
        placed += [Tile(f, name, i * frame_tile, y, frame_tile, h) for i, name in enumerate(FRAME_TILES)]
        y += h
        rows.append(_layer_row(view_after, matte, planes, layer_tile))
        side = layer_tile
        placed += [Tile(f, name, i * side, y, side, side) for i, name in enumerate(LAYER_TILES)]
        y += layer_tile
    write_png16(path, np.clip(np.concatenate(rows, axis=0), 0, 1))
    return placed
