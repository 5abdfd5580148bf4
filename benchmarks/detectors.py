"""Face-detector benchmark: milliseconds per image on group_t1 (1280x886, six faces), after warm-up.

    python benchmarks/detectors.py     # SCRFD 500M / 2.5G test models, RetinaFace, SCRFD-10G if installed
    python benchmarks/detectors.py --runs 20 --device cuda
    python benchmarks/detectors.py --runs 0 --batch-runs 5     # only the batched-vs-per-image rows

Reports the median of `--runs` timed calls of `detect` (pre-processing, network, decoding, NMS).
Then, on 8 frames of the dance clip (as track reads them), detection frames/s one `detect` per
frame vs `detect_batch` in groups of 4 (track's grouping), alternated `--batch-runs` times in the
same run, and their ratio; each frame's detections are checked equal between the two.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ghost_core.errors import ModelError  # noqa: E402
from ghost_core.faces.detectors import Detector, RetinaFaceDetector, ScrfdDetector  # noqa: E402
from ghost_core.faces.detectors.factory import official_scrfd_path  # noqa: E402
from ghost_core.faces.types import Detection  # noqa: E402
from ghost_core.io.source_image import read_source_image  # noqa: E402

ASSETS = REPO.parent / "shared" / "assets"
GROUP = 4  # ghost_core.engine.shot.DETECT_GROUP


def candidates(device: str) -> dict[str, Detector]:
    found: dict[str, Detector] = {
        "scrfd_500m_kps": ScrfdDetector(ASSETS / "models" / "scrfd_500m_kps.onnx", device=device),
        "scrfd_2.5g_kps": ScrfdDetector(ASSETS / "models" / "scrfd_2.5g_kps.onnx", device=device),
        "retinaface_mnet0.25 (max_side 1024)": RetinaFaceDetector(device=device),
        "retinaface_mnet0.25 (full size)": RetinaFaceDetector(max_side=None, device=device),
    }
    try:
        found["scrfd_10g_bnkps (antelopev2)"] = ScrfdDetector(official_scrfd_path(), device=device)
    except ModelError as exc:
        print(f"skipping SCRFD-10G: {exc}")
    return found


def clip_frames(count: int = 8) -> list[np.ndarray]:
    """The first frames of dance.mp4 (464×560) as float RGB, the engine's model-space input."""
    cap = cv2.VideoCapture(str(ASSETS / "video" / "dance.mp4"))
    frames = []
    while len(frames) < count:
        ok, bgr = cap.read()
        if not ok:
            break
        frames.append(np.ascontiguousarray(bgr[..., ::-1], np.float32) / 255)
    cap.release()
    return frames


def dynamic_batch_copy(path: Path, folder: Path) -> Path:
    """An SCRFD test export with its batch axis made symbolic (its reshapes read the batch from
    the input), standing in for a dynamic-batch SCRFD-10G export; the shipped files are batch-1."""
    import onnx

    model = onnx.load(path)
    for value in (*model.graph.input, *model.graph.output):
        dim = value.type.tensor_type.shape.dim[0]
        dim.ClearField("dim_value")
        dim.dim_param = "N"
    out = folder / f"{path.stem}_dynamic.onnx"
    onnx.save(model, out)
    return out


def same(a: list[list[Detection]], b: list[list[Detection]]) -> bool:
    return all(
        len(x) == len(y)
        and all(
            np.array_equal(p.box, q.box) and np.array_equal(p.kps, q.kps) and p.score == q.score
            for p, q in zip(x, y, strict=True)
        )
        for x, y in zip(a, b, strict=True)
    )


def batch_rows(device: str, runs: int) -> None:
    """Frames/s per image vs batched, alternated so both see the same machine load."""
    clip = clip_frames()
    hd = [cv2.resize(f, (1920, 1080), interpolation=cv2.INTER_LINEAR) for f in clip]
    models = ASSETS / "models"
    print(
        f"\ndetection frames/s, {len(clip)} dance frames, per image vs batched in groups of {GROUP}, "
        f"median of {runs} alternated runs"
    )
    with tempfile.TemporaryDirectory(prefix="detbench") as tmp:

        def dynamic(name: str) -> ScrfdDetector:
            return ScrfdDetector(dynamic_batch_copy(models / name, Path(tmp)), device=device)

        rows = [
            ("retinaface_mnet0.25 (max_side 1024)", lambda: RetinaFaceDetector(device=device), clip),
            ("retinaface_mnet0.25 (max_side 1024)", lambda: RetinaFaceDetector(device=device), hd),
            ("retinaface_mnet0.25 (full size)", lambda: RetinaFaceDetector(max_side=None, device=device), hd),
            ("scrfd_500m_kps (shipped: batch 1, loop)",
             lambda: ScrfdDetector(models / "scrfd_500m_kps.onnx", device=device), clip),
            ("scrfd_500m_kps (dynamic-batch copy)", lambda: dynamic("scrfd_500m_kps.onnx"), clip),
            ("scrfd_2.5g_kps (dynamic-batch copy)", lambda: dynamic("scrfd_2.5g_kps.onnx"), clip),
        ]  # fmt: skip
        for name, make, images in rows:
            det = make()
            size = f"{images[0].shape[1]}x{images[0].shape[0]}"
            groups = [images[s : s + GROUP] for s in range(0, len(images), GROUP)]
            single = [det.detect(i) for i in images]  # warm-up of both paths (and the one check run)
            equal = same(single, [faces for g in groups for faces in det.detect_batch(g)])
            t_single, t_batch = [], []
            for _ in range(runs):
                start = time.perf_counter()
                for image in images:
                    det.detect(image)
                t_single.append(time.perf_counter() - start)
                start = time.perf_counter()
                for g in groups:
                    det.detect_batch(g)
                t_batch.append(time.perf_counter() - start)
            fps1 = len(images) / statistics.median(t_single)
            fpsb = len(images) / statistics.median(t_batch)
            print(
                f"{name:40s} {size:>9s}  per image {fps1:6.1f}  batched {fpsb:6.1f} frames/s  "
                f"ratio {fpsb / fps1:4.2f}  detections equal: {equal}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--image", type=Path, default=ASSETS / "faces" / "group_t1.jpg")
    parser.add_argument("--batch-runs", type=int, default=5, help="runs of the batch rows (0: none)")
    args = parser.parse_args()
    image = read_source_image(args.image)
    print(f"{args.image.name} {image.shape[1]}x{image.shape[0]}, device {args.device}, {args.runs} runs")
    for name, det in (candidates(args.device) if args.runs > 0 else {}).items():
        faces = det.detect(image)  # warm-up (session initialisation, allocations)
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            det.detect(image)
            times.append((time.perf_counter() - start) * 1000)
        median = statistics.median(times)
        print(f"{name:40s} {len(faces)} faces  median {median:7.1f} ms  min {min(times):7.1f} ms")
    if args.batch_runs > 0:
        batch_rows(args.device, args.batch_runs)


if __name__ == "__main__":
    main()
