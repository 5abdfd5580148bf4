"""The H.264 review proxy: plate | swap | matte overlay side by side, with burn-ins, through PyAV.

Burn-ins are drawn with OpenCV's built-in Hershey font, so no system font is needed on a farm
node. The file is tagged BT.709 (what an sRGB display view is sent to players as) and written
atomically; `encode_proxy` is also what benchmarks time.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np

from ghost_core.errors import OutputError
from ghost_core.io.atomic import atomic_output

BAR = 28  # px of burn-in bar above the tiles
FONT = cv2.FONT_HERSHEY_SIMPLEX


def _text(image: np.ndarray, text: str, origin: tuple[int, int], scale: float = 0.5) -> None:
    """White text with a dark outline: readable on any plate."""
    cv2.putText(image, text, origin, FONT, scale, (0, 0, 0), 3, cv2.LINE_AA)
    cv2.putText(image, text, origin, FONT, scale, (255, 255, 255), 1, cv2.LINE_AA)


def proxy_frame(tiles: Sequence[np.ndarray], labels: Sequence[str], burnin: str, width: int) -> np.ndarray:
    """uint8 RGB tiles → one even-sized frame `width` wide: a burn-in bar, then the tiles in a row."""
    h, w = tiles[0].shape[:2]
    tile_w = max(2, width // len(tiles))
    tile_h = max(2, round(h * tile_w / w)) // 2 * 2
    row = []
    for tile, label in zip(tiles, labels, strict=True):
        small = cv2.resize(tile, (tile_w, tile_h), interpolation=cv2.INTER_AREA)
        _text(small, label, (8, tile_h - 10))
        row.append(small)
    body = np.concatenate(row, axis=1)
    frame = np.zeros((BAR + tile_h, body.shape[1] // 2 * 2, 3), np.uint8)
    frame[BAR:] = body[:, : frame.shape[1]]
    _text(frame, burnin, (8, BAR - 9))
    return frame


def encode_proxy(
    frames: Iterable[np.ndarray], path: str | Path, fps: float = 24.0, crf: int = 18, preset: str = "medium"
) -> int:
    """Encode uint8 H×W×3 RGB frames (even sizes) to an H.264 MP4 at `path`, atomically; returns the count.

    yuv420p and BT.709 tags so browsers and players show it as the stills look.
    """
    import av
    from av.video.reformatter import ColorRange, Colorspace

    ITU709, MPEG = Colorspace.ITU709, ColorRange.MPEG

    path = Path(path)
    count = 0
    try:
        with atomic_output(path) as tmp, av.open(str(tmp), "w", format="mp4") as container:
            stream = None
            for image in frames:
                if stream is None:
                    stream = container.add_stream("libx264", rate=Fraction(fps).limit_denominator(1001))
                    stream.width, stream.height = image.shape[1], image.shape[0]
                    stream.pix_fmt = "yuv420p"
                    stream.options = {"crf": str(crf), "preset": preset}
                    stream.codec_context.color_primaries = 1  # BT.709
                    stream.codec_context.color_trc = 1
                    stream.codec_context.colorspace = 1
                frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="rgb24")
                frame = frame.reformat(format="yuv420p", dst_colorspace=ITU709, dst_color_range=MPEG)
                container.mux(stream.encode(frame))
                count += 1
            if stream is None:
                raise OutputError(f"{path}: no frames to encode; check the shot's frame range")
            container.mux(stream.encode())
    except av.FFmpegError as exc:
        raise OutputError(
            f"{path}: cannot encode the review proxy ({exc}); check the folder and its space"
        ) from exc
    return count
