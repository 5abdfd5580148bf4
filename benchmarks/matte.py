"""Matte and paste-back timings on a 1920x1080 scene-linear plate (CPU).

face_mask builds the 224 crop matte; paste_face brings one swapped face back (matte paste, the
linear-light change, the composite) over its footprint only. Faces: ~300 px wide (crop enlarged
~2.1x, bilinear) and ~60 px wide (crop shrunk, area-filtered paste).

    python benchmarks/matte.py [--runs 50] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ghost_core.color import ColorPath, load_config  # noqa: E402
from ghost_core.composite import paste_face  # noqa: E402
from ghost_core.faces.align import Alignment, crop_footprint, warp_crop  # noqa: E402
from ghost_core.faces.types import LandmarkLayout, Landmarks  # noqa: E402
from ghost_core.matte import MaskParams, face_mask, paste_matte  # noqa: E402

WIDTH, HEIGHT = 1920, 1080
CROP_FACE_WIDTH = 140.0  # the benchmark face's hull width in the 224 crop
LAYOUT = LandmarkLayout(
    "bench24",
    24,
    brows=(11, 12, 13, 14, 15, 16),
    eyes=(17, 18, 19, 20, 21, 22),
    jaw_left=(1, 2, 3),
    jaw_right=(9, 8, 7),
)


def landmarks() -> Landmarks:
    angles = np.pi - np.arange(11) * np.pi / 10
    jaw = np.stack([112 + 70 * np.cos(angles), 120 + 85 * np.sin(angles)], -1)
    rest = [(72, 78), (85, 72), (98, 74), (126, 74), (139, 72), (152, 78)]
    rest += [(74, 92), (86, 88), (98, 92), (126, 92), (138, 88), (150, 92), (112, 130)]
    return Landmarks(np.concatenate([jaw, np.array(rest, np.float64)]), LAYOUT)


def alignment(face_px: float) -> Alignment:
    scale = face_px / CROP_FACE_WIDTH  # crop → frame
    a = np.deg2rad(8.0)
    rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]]) / scale
    at = np.array([WIDTH * 0.45, HEIGHT * 0.3])
    return Alignment(np.hstack([rot, (-rot @ at)[:, None]]), pose=2)


def median_ms(work: Callable[[], object], runs: int) -> float:
    work()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    plate = (rng.random((HEIGHT, WIDTH, 3), dtype=np.float32) ** 2 * 4.0).astype(np.float32)
    color = ColorPath.create(load_config("ocio://studio-config-latest"), "ACEScg")
    face = landmarks()
    results: dict[str, float | int | str] = {"cpus": os.cpu_count() or 1, "frame": f"{WIDTH}x{HEIGHT}"}
    for row in (MaskParams(15, 15.0, 10.0, 2.7), MaskParams(5, 5.0, 5.0, 2.0)):
        results[f"face_mask_sigma{row.sigma_x:g}_ms"] = median_ms(lambda r=row: face_mask(face, r), args.runs)
    matte = face_mask(face, MaskParams(5, 5.0, 5.0, 2.0))
    for face_px in (300.0, 60.0):
        align = alignment(face_px)
        seen = color.to_model(warp_crop(plate, align), 1.0, clip=True)
        swap = np.clip(seen * 0.9 + 0.05, 0.0, 1.0).astype(np.float32)
        box = crop_footprint(align, HEIGHT, WIDTH)
        results[f"footprint_{face_px:g}px"] = f"{box[2]}x{box[3]}"
        results[f"paste_matte_{face_px:g}px_ms"] = median_ms(
            lambda a=align, b=box: paste_matte(matte, a.inverse, b), args.runs
        )
        results[f"paste_face_{face_px:g}px_ms"] = median_ms(
            lambda a=align, s=seen, w=swap: paste_face(plate, w, s, a, matte, color, 1.0), args.runs
        )
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        for key, value in results.items():
            print(f"{key:28s} {value:.2f}" if isinstance(value, float) else f"{key:28s} {value}")


if __name__ == "__main__":
    main()
