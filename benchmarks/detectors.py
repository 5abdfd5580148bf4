"""Face-detector benchmark: milliseconds per image on group_t1 (1280x886, six faces), after warm-up.

    python benchmarks/detectors.py     # SCRFD 500M / 2.5G test models, RetinaFace, SCRFD-10G if installed
    python benchmarks/detectors.py --runs 20 --device cuda

Reports the median of `--runs` timed calls of `detect` (pre-processing, network, decoding, NMS).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ghost_core.errors import ModelError  # noqa: E402
from ghost_core.faces.detectors import Detector, RetinaFaceDetector, ScrfdDetector  # noqa: E402
from ghost_core.faces.detectors.factory import official_scrfd_path  # noqa: E402
from ghost_core.io.source_image import read_source_image  # noqa: E402

ASSETS = REPO.parent / "shared" / "assets"


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--image", type=Path, default=ASSETS / "faces" / "group_t1.jpg")
    args = parser.parse_args()
    image = read_source_image(args.image)
    print(f"{args.image.name} {image.shape[1]}x{image.shape[0]}, device {args.device}, {args.runs} runs")
    for name, det in candidates(args.device).items():
        faces = det.detect(image)  # warm-up (session initialisation, allocations)
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            det.detect(image)
            times.append((time.perf_counter() - start) * 1000)
        median = statistics.median(times)
        print(f"{name:40s} {len(faces)} faces  median {median:7.1f} ms  min {min(times):7.1f} ms")


if __name__ == "__main__":
    main()
