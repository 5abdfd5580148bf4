"""Review-proxy benchmark: `encode_proxy` frames/s as a ratio to plain PyAV H.264 encoding.

Both encode the same 1920-wide plate | swap | matte frames (made here: display-referred noise over
gradients, so the encoder has real work) with libx264 in the same run; runs are interleaved and
the medians compared. The proxy side also lays out the tiles and draws the burn-ins
(`proxy_frame`), converts to BT.709 yuv420p and writes atomically; plain PyAV gets ready frames
at PyAV's defaults (libx264, yuv420p, same crf and preset).

    python benchmarks/review.py              # about half a minute on 2 cores
    python benchmarks/review.py --frames 96 --runs 5 --json
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ghost_core.review.proxy import encode_proxy, proxy_frame  # noqa: E402

TILE = (540, 960)


def _tiles(n: int) -> list[list[np.ndarray]]:
    rng = np.random.default_rng(16)
    ys, xs = np.mgrid[0 : TILE[0], 0 : TILE[1]]
    base = np.stack([xs * 255 // TILE[1], ys * 255 // TILE[0], (xs + ys) % 256], axis=2).astype(np.int16)
    out = []
    for i in range(n):
        noisy = np.clip(base + rng.integers(-12, 12, base.shape) + i, 0, 255).astype(np.uint8)
        out.append([noisy, np.roll(noisy, i, axis=1), noisy // 2])
    return out


def _layout(tiles: list[np.ndarray], i: int) -> np.ndarray:
    return proxy_frame(tiles, ["plate", "swap", "matte"], f"bench frame {i}", 1920)


def _proxy(tiles: list[list[np.ndarray]], path: Path) -> float:
    started = time.perf_counter()
    frames = (_layout(t, i) for i, t in enumerate(tiles))
    encode_proxy(frames, path, fps=24)
    return time.perf_counter() - started


def _plain(frames: list[np.ndarray], path: Path) -> float:
    import av

    started = time.perf_counter()
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=24)
        stream.width, stream.height = frames[0].shape[1], frames[0].shape[0]
        stream.pix_fmt = "yuv420p"
        stream.options = {"crf": "18", "preset": "medium"}
        for image in frames:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")))
        container.mux(stream.encode())
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=48)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    tiles = _tiles(args.frames)
    ready = [_layout(t, i) for i, t in enumerate(tiles)]
    proxy_s, plain_s = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.runs):
            proxy_s.append(_proxy(tiles, Path(tmp) / "proxy.mp4"))
            plain_s.append(_plain(ready, Path(tmp) / "plain.mp4"))
    proxy_fps = args.frames / statistics.median(proxy_s)
    plain_fps = args.frames / statistics.median(plain_s)
    result = {
        "frames": args.frames,
        "size": [ready[0].shape[1], ready[0].shape[0]],
        "proxy_encode_fps": round(proxy_fps, 2),
        "plain_pyav_fps": round(plain_fps, 2),
        "ratio_plain_over_proxy_time": round(plain_fps / proxy_fps, 3),
    }
    if args.json:
        print(json.dumps(result))
        return
    print(f"{args.frames} frames {result['size'][0]}x{result['size'][1]}, median of {args.runs} runs")
    print(f"proxy encode frames/s: {proxy_fps:.2f}  (layout + burn-ins + BT.709 + atomic write)")
    print(f"plain PyAV frames/s:   {plain_fps:.2f}")
    print(f"proxy time / plain time: {plain_fps / proxy_fps:.3f}")


if __name__ == "__main__":
    main()
