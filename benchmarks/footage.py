"""Footage benchmark: `frames import` throughput against plain decoding, and review-proxy encode speed.

    python benchmarks/footage.py                      # about a minute on 2 cores
    python benchmarks/footage.py --frames 48 --runs 3 --json

A 1920×1080 H.264 clip (yuv420p, BT.709 tags, noise over moving gradients so the codec has real
work) is made here with PyAV. In the same run, runs interleaved, medians compared:

- **plain decode**: PyAV decodes every frame to the same RGB array `frames import` asks for
  (rgb48le for a yuv420p clip) and does nothing else: the floor any importer pays;
- **naive import**: the same decode, then OCIO and a half ZIP EXR write, one frame after another
  on one thread, the converter users wrote for themselves;
- **EXR encode**: only the half ZIP writes of the same frames, already linear: the floor an
  EXR importer pays on top of decoding (on 2 cores it alone is several times the decode);
- **frames import**: `ghost_core.io.footage.import_footage` (OCIO, half ZIP EXR, atomic writes,
  completion markers, the worker pool).

`import / decode` is the issue's ratio (time per frame; target <= 1.5). Proxy encoding
(`encode_proxy`, libx264 crf 18, medium) is reported as frames/s on 1920-wide review frames.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import av  # noqa: E402
import OpenImageIO as oiio  # noqa: E402

from ghost_core.color import load_config  # noqa: E402
from ghost_core.io.footage import ImportOptions, import_footage  # noqa: E402
from ghost_core.io.footage_colour import default_space, output_space  # noqa: E402
from ghost_core.review.proxy import encode_proxy  # noqa: E402

SIZE = (1080, 1920)


def _pictures(count: int) -> list[np.ndarray]:
    rng = np.random.default_rng(7)
    ys, xs = np.mgrid[0 : SIZE[0], 0 : SIZE[1]]
    out = []
    for i in range(count):
        base = np.stack([(xs + 8 * i) % 256, (ys + 4 * i) % 256, (xs + ys) // 12 % 256], axis=2)
        noisy = base.astype(np.int16) + rng.integers(-10, 10, base.shape, dtype=np.int16)
        out.append(np.clip(noisy, 0, 255).astype(np.uint8))
    return out


def make_clip(path: Path, count: int) -> None:
    """An H.264 1080p clip tagged BT.709, as a camera proxy or an editorial export would be."""
    with av.open(str(path), "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=Fraction(24))
        stream.width, stream.height, stream.pix_fmt = SIZE[1], SIZE[0], "yuv420p"
        stream.options = {"crf": "16", "preset": "veryfast"}
        stream.codec_context.color_primaries = 1
        stream.codec_context.color_trc = 1
        stream.codec_context.colorspace = 1
        for picture in _pictures(count):
            container.mux(stream.encode(av.VideoFrame.from_ndarray(picture, format="rgb24")))
        container.mux(stream.encode())


def plain_decode(clip: Path) -> int:
    """Decode every frame to rgb48le and drop it: what reading the clip costs at the least."""
    count = 0
    with av.open(str(clip)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        for frame in container.decode(stream):
            frame.to_ndarray(format="rgb48le")
            count += 1
    return count


def naive_import(clip: Path, folder: Path) -> int:
    """Decode, OCIO to scene-linear, write half ZIP EXR: one frame at a time, one thread."""
    config = load_config(None)
    cpu = config.getProcessor(default_space(config).name, output_space(config).name).getDefaultCPUProcessor()
    folder.mkdir(parents=True, exist_ok=True)
    count = 0
    with av.open(str(clip)) as container:
        stream = container.streams.video[0]
        for frame in container.decode(stream):
            pixels = np.divide(frame.to_ndarray(format="rgb48le"), np.float32(65535.0), dtype=np.float32)
            cpu.applyRGB(pixels)
            spec = oiio.ImageSpec(pixels.shape[1], pixels.shape[0], 3, oiio.HALF)
            spec.attribute("compression", "zip")
            path = str(folder / f"naive.{1001 + count}.exr")
            out = oiio.ImageOutput.create(path)
            if out is None or not out.open(path, spec) or not out.write_image(pixels):
                raise SystemExit(f"naive write failed: {oiio.geterror()}")
            out.close()
            count += 1
    return count


def exr_encode(frames: list[np.ndarray], folder: Path) -> int:
    """Only the half ZIP EXR writes of ready linear frames (OpenImageIO's own threads): the floor
    every EXR importer pays on top of decoding."""
    folder.mkdir(parents=True, exist_ok=True)
    for index, pixels in enumerate(frames):
        spec = oiio.ImageSpec(pixels.shape[1], pixels.shape[0], 3, oiio.HALF)
        spec.attribute("compression", "zip")
        path = str(folder / f"encode.{1001 + index}.exr")
        out = oiio.ImageOutput.create(path)
        if out is None or not out.open(path, spec) or not out.write_image(pixels):
            raise SystemExit(f"encode failed: {oiio.geterror()}")
        out.close()
    return len(frames)


def _linear_frames(clip: Path) -> list[np.ndarray]:
    config = load_config(None)
    cpu = config.getProcessor(default_space(config).name, output_space(config).name).getDefaultCPUProcessor()
    frames = []
    with av.open(str(clip)) as container:
        for frame in container.decode(video=0):
            pixels = np.divide(frame.to_ndarray(format="rgb48le"), np.float32(65535.0), dtype=np.float32)
            cpu.applyRGB(pixels)
            frames.append(pixels.astype(np.float16))
    return frames


def ghost_import(clip: Path, folder: Path) -> int:
    summary = import_footage(str(clip), str(folder / "plate.####.exr"), ImportOptions(overwrite=True))
    return int(summary["written"])


def _timed(run, *args) -> float:
    started = time.perf_counter()
    count = run(*args)
    return (time.perf_counter() - started) / max(count, 1)


def _review_frames(count: int) -> list[np.ndarray]:
    """1920×540 frames, the shape of a plate | swap | matte proxy row at half height."""
    return [np.ascontiguousarray(p[::2]) for p in _pictures(count)]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--frames", type=int, default=24, help="frames in the 1080p clip")
    parser.add_argument("--runs", type=int, default=3, help="interleaved runs; medians are compared")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()

    per: dict[str, list[float]] = {"decode": [], "encode": [], "naive": [], "import": []}
    with tempfile.TemporaryDirectory(prefix="ghost-footage-") as tmp:
        work = Path(tmp)
        clip = work / "clip.mp4"
        make_clip(clip, args.frames)
        plain_decode(clip)  # warm the codec and the page cache
        linear = _linear_frames(clip)
        for run in range(args.runs):
            per["decode"].append(_timed(plain_decode, clip))
            per["encode"].append(_timed(exr_encode, linear, work / f"encode{run}"))
            shutil.rmtree(work / f"encode{run}")
            per["naive"].append(_timed(naive_import, clip, work / f"naive{run}"))
            per["import"].append(_timed(ghost_import, clip, work / f"import{run}"))
            shutil.rmtree(work / f"naive{run}")
            shutil.rmtree(work / f"import{run}")
        review = _review_frames(args.frames)
        started = time.perf_counter()
        encoded = encode_proxy(review, work / "proxy.mp4")
        proxy_fps = encoded / (time.perf_counter() - started)

    median = {name: statistics.median(values) for name, values in per.items()}
    figures = {
        "clip": f"{SIZE[1]}x{SIZE[0]} H.264 yuv420p, {args.frames} frames",
        "runs": args.runs,
        "decode_fps": round(1 / median["decode"], 2),
        "exr_encode_fps": round(1 / median["encode"], 2),
        "encode_over_decode": round(median["encode"] / median["decode"], 3),
        "naive_import_fps": round(1 / median["naive"], 2),
        "import_fps": round(1 / median["import"], 2),
        "import_over_decode": round(median["import"] / median["decode"], 3),
        "naive_over_decode": round(median["naive"] / median["decode"], 3),
        "import_over_decode_plus_encode": round(median["import"] / (median["decode"] + median["encode"]), 3),
        "import_speedup_over_naive": round(median["naive"] / median["import"], 3),
        "proxy_encode_fps": round(proxy_fps, 2),
        "proxy_size": f"{review[0].shape[1]}x{review[0].shape[0]}",
        "target_import_over_decode": 1.5,
    }
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    print(f"clip: {figures['clip']}, {args.runs} interleaved runs, medians")
    print(f"  plain PyAV decode   {figures['decode_fps']:8.2f} frames/s")
    print(
        f"  EXR half ZIP encode {figures['exr_encode_fps']:8.2f} frames/s  "
        f"({figures['encode_over_decode']}× decode: the write alone, before any decoding)"
    )
    naive, ours = figures["naive_over_decode"], figures["import_over_decode"]
    print(f"  naive import        {figures['naive_import_fps']:8.2f} frames/s  ({naive}× decode)")
    print(
        f"  frames import       {figures['import_fps']:8.2f} frames/s  ({ours}× decode, target <= 1.5; "
        f"{figures['import_over_decode_plus_encode']}× decode + encode; "
        f"{figures['import_speedup_over_naive']}× faster than naive)"
    )
    print(f"  review proxy encode {figures['proxy_encode_fps']:8.2f} frames/s  ({figures['proxy_size']})")


if __name__ == "__main__":
    main()
