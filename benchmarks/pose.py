"""Pose honesty figures: the key-point yaw estimate against a face-mesh head pose, and its verdicts.

On every face the offline RetinaFace finds in ../shared/assets/faces (group and single photos, each
also mirrored), print the five-point yaw (`ghost_core/faces/pose.py`), the face mesh's solvePnP yaw
(`ghost_core/evaluation/geometry.py`, an independent estimate) and the render verdict with the default
limits. Then render the dance clip with the defaults and report faces replaced whose pixels did not
change (target 0: they are counted as skipped instead).

    .venv/bin/python benchmarks/pose.py
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ghost_core.evaluation.geometry import head_pose  # noqa: E402
from ghost_core.faces.align import estimate_norm, transform_points, warp_crop  # noqa: E402
from ghost_core.faces.detectors.retinaface import RetinaFaceDetector  # noqa: E402
from ghost_core.faces.landmarks import open_auto  # noqa: E402
from ghost_core.faces.pose import judge  # noqa: E402
from ghost_core.knobs import field_default  # noqa: E402

FACES = REPO.parent / "shared" / "assets" / "faces"
PHOTOS = ("group_t1.jpg", "two_people.jpg", "obama.jpg", "obama_partial_face.jpg", "biden.jpg", "mark.jpg")


def _image(name: str) -> np.ndarray:
    import cv2

    bgr = cv2.imread(str(FACES / name))
    return np.ascontiguousarray(bgr[..., ::-1].astype(np.float32) / 255)


def photo_rows() -> list[dict[str, object]]:
    detector, landmarker = RetinaFaceDetector(), open_auto()
    warn, limit = float(field_default("warn_yaw")), float(field_default("max_yaw"))
    rows = []
    for name in PHOTOS:
        for mirrored in (False, True):
            image = _image(name)
            image = np.ascontiguousarray(image[:, ::-1]) if mirrored else image
            for k, face in enumerate(detector.detect(image)):
                alignment = estimate_norm(face.kps)
                marks = landmarker.landmarks(warp_crop(image, alignment)[None])[0]
                points = transform_points(alignment.inverse, marks.points)
                mesh = float(head_pose(points, image.shape[1], image.shape[0])[0])
                call = judge(face.kps, warn, limit)
                label = f"{name}{' (mirrored)' if mirrored else ''} #{k}"
                rows.append({"face": label, "kp_yaw": round(call.yaw, 1), "mesh_yaw": round(mesh, 1),
                             "verdict": call.verdict})  # fmt: skip
    return rows


def render_rows(work: Path) -> dict[str, object]:
    from ghost_core import cli
    from tests.shots import write_dance_plate

    plate = write_dance_plate(work / "plate", count=12)
    source = str(FACES / "elon_musk.jpg")
    out = work / "summary.json"
    argv = ["--json", "render", "--plate", plate, "--source", source, "--out", str(work / "o" / "o.####.exr")]
    argv += ["--swapper", "morph", "--detector", "retinaface", "--landmarker", "mesh"]
    import contextlib
    import io

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        assert cli.main(argv) == 0
    summary = json.loads(buffer.getvalue())
    out.write_text(json.dumps(summary, indent=2))
    return {k: summary[k] for k in ("frames", "faces_replaced", "faces_skipped", "warned_faces")}


def main() -> None:
    rows = photo_rows()
    print(f"{'face':34} {'kp yaw':>7} {'mesh yaw':>9}  verdict")
    for r in rows:
        print(f"{r['face']:34} {r['kp_yaw']:7.1f} {r['mesh_yaw']:9.1f}  {r['verdict']}")
    kp = np.abs([r["kp_yaw"] for r in rows])
    mesh = np.abs([r["mesh_yaw"] for r in rows])
    print(f"faces {len(rows)}; |yaw| correlation kp vs mesh {np.corrcoef(kp, mesh)[0, 1]:.2f}; "
          f"mean |kp| {kp.mean():.1f}°, mean |mesh| {mesh.mean():.1f}°")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        print("dance render (defaults):", render_rows(Path(tmp)))


if __name__ == "__main__":
    main()
