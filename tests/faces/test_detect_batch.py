"""`detect_batch`: one onnxruntime run for a group of same-sized frames, the very detections of `detect`.

On this CPU a batched RetinaFace/SCRFD run gave bit-identical outputs to batch-1 runs (measured at
464×560, 1024×736, 1024×576 and 1920×1088, batches 2-8), so equality here is exact, not a tolerance.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import pytest

from ghost_core.faces.detectors import RetinaFaceDetector, ScrfdDetector
from ghost_core.faces.detectors.base import OnnxDetector
from ghost_core.faces.types import Detection
from ghost_core.io.source_image import read_source_image
from tests.shots import ASSETS, video_frames

MODELS = ASSETS / "models"


class CountingSession:
    """An onnxruntime session that records the batch size of every run (and can be made to misbatch)."""

    def __init__(self, session: Any, misbatch: str | None = None) -> None:
        self.session, self.misbatch, self.batches = session, misbatch, []

    def get_inputs(self) -> Any:
        return self.session.get_inputs()

    def run(self, names: Any, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
        (blob,) = feeds.values()
        self.batches.append(len(blob))
        outputs = self.session.run(names, feeds)
        if self.misbatch == "roll" and len(blob) > 1:
            return [np.roll(o, 1, axis=0) for o in outputs]  # every image gets its neighbour's numbers
        if self.misbatch == "first" and len(blob) > 1:
            return [o[:1] for o in outputs]  # a batch of 1 baked into the graph's last reshape
        return outputs


def counted(det: OnnxDetector, misbatch: str | None = None) -> CountingSession:
    """Wrap the detector's own session (never an earlier wrapper) and forget its batch check."""
    session = det.session
    while isinstance(session, CountingSession):
        session = session.session
    det.session = CountingSession(session, misbatch)  # type: ignore[assignment]
    det._batch_checked, det._batch_ok = False, True
    return det.session  # type: ignore[return-value]


def assert_same(batched: list[list[Detection]], single: list[list[Detection]]) -> None:
    assert len(batched) == len(single)
    for a_faces, b_faces in zip(batched, single, strict=True):
        assert len(a_faces) == len(b_faces)
        for a, b in zip(a_faces, b_faces, strict=True):
            assert np.array_equal(a.box, b.box) and np.array_equal(a.kps, b.kps) and a.score == b.score


@pytest.fixture(scope="module")
def retinaface() -> RetinaFaceDetector:
    return RetinaFaceDetector()


@pytest.fixture(scope="module")
def clip() -> list[np.ndarray]:
    """Four frames of each test clip (464×560): the dancer, and the target clip of the swap tests."""
    return video_frames("dance.mp4", 4) + video_frames("orig.webp", 4)


@pytest.fixture(scope="module")
def group() -> np.ndarray:
    return read_source_image(ASSETS / "faces" / "group_t1.jpg")


@pytest.fixture(scope="module")
def dynamic_scrfd(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 500M test export with its batch axis made symbolic: its reshapes read the batch from the
    input's shape, so it runs any batch (the shipped file is fixed at 1)."""
    model = onnx.load(MODELS / "scrfd_500m_kps.onnx")
    for value in (*model.graph.input, *model.graph.output):
        dim = value.type.tensor_type.shape.dim[0]
        dim.ClearField("dim_value")
        dim.dim_param = "N"
    path = tmp_path_factory.mktemp("scrfd") / "scrfd_500m_dynamic.onnx"
    onnx.save(model, path)
    return path


def test_retinaface_batch_is_one_run_with_the_same_faces(retinaface, clip, group):
    single = [retinaface.detect(f) for f in [*clip, group]]
    assert [len(f) for f in single] == [1] * 8 + [6]
    runs = counted(retinaface)
    batched = retinaface.detect_batch(clip)
    assert runs.batches == [8, 1]  # one stacked run, and once per session the check run alone
    more = retinaface.detect_batch(clip[4:])
    assert runs.batches[2:] == [4]
    assert_same(batched, single[:8])
    assert_same(more, single[4:8])
    shifted = np.clip(group + np.float32(0.01), 0, 1)  # a second 1280×886 frame, not the same pixels
    assert_same(retinaface.detect_batch([group, shifted]), [single[8], retinaface.detect(shifted)])


def test_mixed_sizes_and_empty_frames_keep_their_order(retinaface, clip, group):
    single = {id(f): retinaface.detect(f) for f in (clip[0], clip[5], group)}
    runs = counted(retinaface)
    images = [clip[0], group, np.zeros((0, 7, 3), np.float32), clip[5], group[:300, :500]]
    found = retinaface.detect_batch(images)
    assert sorted(runs.batches) == [1, 1, 1, 2]  # the two clip frames stacked (+ the check), the rest alone
    assert_same(found[:4], [single[id(clip[0])], single[id(group)], [], single[id(clip[5])]])
    assert_same(found[4:], [retinaface.detect(group[:300, :500])])


def test_fixed_batch_one_graph_loops(clip, group):
    det = ScrfdDetector(MODELS / "scrfd_500m_kps.onnx")  # input 1×3×640×640: cannot stack
    single = [det.detect(f) for f in [*clip[:3], group]]
    runs = counted(det)
    assert_same(det.detect_batch([*clip[:3], group]), single)
    assert runs.batches == [1, 1, 1, 1]


def test_dynamic_batch_scrfd_stacks(dynamic_scrfd, clip, group):
    det = ScrfdDetector(dynamic_scrfd)
    single = [det.detect(f) for f in [*clip, group]]
    runs = counted(det)
    assert_same(det.detect_batch([*clip, group]), single)  # letter-boxed: every image is 640×640
    assert runs.batches == [9, 1]


@pytest.mark.parametrize("misbatch", ["roll", "first"])
def test_an_export_that_misbatches_falls_back_to_the_loop(retinaface, clip, caplog, misbatch):
    single = [retinaface.detect(f) for f in clip[:4]]
    runs = counted(retinaface, misbatch)
    with caplog.at_level(logging.WARNING, logger="ghostswap.detectors"):
        assert_same(retinaface.detect_batch(clip[:4]), single)
    assert "one image at a time" in caplog.text
    assert runs.batches[0] == 4 and runs.batches[-4:] == [1, 1, 1, 1]
    del runs.batches[:]
    assert_same(retinaface.detect_batch(clip[:4]), single)  # remembered: no second stacked try
    assert runs.batches == [1, 1, 1, 1]
    counted(retinaface)  # the module's detector runs its real session again for later tests


def test_official_2d_layout_with_a_dynamic_input_falls_back(tmp_path, clip):
    """The official SCRFD-10G has 2-D outputs (no batch axis); with a symbolic batch its fixed
    reshapes fail on a stack, and the loop gives the faces."""
    model = onnx.load(MODELS / "scrfd_500m_kps.onnx")
    graph = model.graph
    dim = graph.input[0].type.tensor_type.shape.dim[0]
    dim.ClearField("dim_value")
    dim.dim_param = "N"
    outputs = list(graph.output)
    del graph.output[:]
    for i, out in enumerate(outputs):
        dims = [d.dim_value for d in out.type.tensor_type.shape.dim][1:]
        graph.initializer.append(onnx.helper.make_tensor(f"shape_{i}", onnx.TensorProto.INT64, [2], dims))
        graph.node.append(onnx.helper.make_node("Reshape", [out.name, f"shape_{i}"], [f"flat_{i}"]))
        graph.output.append(onnx.helper.make_tensor_value_info(f"flat_{i}", onnx.TensorProto.FLOAT, dims))
    path = tmp_path / "scrfd_2d_dynamic.onnx"
    onnx.save(model, path)
    det = ScrfdDetector(path)
    single = [det.detect(f) for f in clip[:2]]
    assert_same(det.detect_batch(clip[:2]), single)
    assert not det._batch_ok
