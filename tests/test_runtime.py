"""Runtime behaviour: the ONNX export cache, batching, precision and device choices, bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
import torch

from ghost_core.errors import UsageError
from ghost_core.nets.random_weights import save_random_checkpoint
from ghost_core.runtime import cached_onnx, open_backend
from ghost_core.runtime.devices import ort_providers, resolve_precision, torch_device


@pytest.fixture(scope="module")
def arcface_weights(tmp_path_factory):
    return save_random_checkpoint("arcface", tmp_path_factory.mktemp("arc") / "backbone.pth", seed=11)


@pytest.fixture(scope="module")
def faces():
    return np.random.default_rng(0).uniform(-1, 1, (5, 3, 112, 112)).astype(np.float32)


def _relative(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


def test_onnx_export_is_cached_by_weights_hash_and_rebuilt_when_they_change(tmp_path, faces):
    weights = save_random_checkpoint("arcface", tmp_path / "backbone.pth", seed=1)
    first = open_backend("arcface", weights, backend="onnxruntime", device="cpu")
    path = Path(first.onnx_path)
    assert path.parent == tmp_path  # cached next to the weights
    stamp = path.stat().st_mtime_ns
    emb_first = first(faces)
    again = open_backend("arcface", weights, backend="onnxruntime", device="cpu")
    assert Path(again.onnx_path) == path
    assert path.stat().st_mtime_ns == stamp  # reused, not re-exported

    save_random_checkpoint("arcface", weights, seed=2)  # the file changes (a fine-tune, a re-download)
    changed = open_backend("arcface", weights, backend="onnxruntime", device="cpu")
    assert Path(changed.onnx_path) != path
    assert not path.exists()  # the stale export is removed
    assert _relative(changed(faces), emb_first) > 0.1
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".onnx") == [
        changed.onnx_path.split("/")[-1]
    ]


def test_interrupted_export_leaves_no_file(tmp_path):
    weights = save_random_checkpoint("discriminator", tmp_path / "D.pth", seed=0)

    def explode():
        raise RuntimeError("export interrupted")

    with pytest.raises(RuntimeError, match="interrupted"):
        cached_onnx(weights, "arcface", explode, sha256="0" * 64)
    assert list(tmp_path.glob("*.onnx")) == []
    assert [p.name for p in tmp_path.iterdir()] == ["D.pth"]


def test_batches_are_split_and_results_do_not_depend_on_batch_size(arcface_weights, faces):
    small = open_backend("arcface", arcface_weights, backend="onnxruntime", device="cpu", max_batch=2)
    whole = open_backend("arcface", arcface_weights, backend="onnxruntime", device="cpu", max_batch=8)
    single = np.concatenate([whole(f[None]) for f in faces])
    assert small(faces).shape == (5, 512)
    assert _relative(small(faces), single) < 1e-5
    assert _relative(whole(faces), single) < 1e-5
    assert whole(faces[:0]).shape == (0, 512)


def test_torch_gives_a_face_the_same_bits_whatever_it_was_batched_with(arcface_weights, faces):
    """torch's CPU kernels change their bits with the batch size (2.6e-6 on GHOST's generator,
    batch 1 against 2): each call is padded to max_batch, so a farm chunk's short batch swaps a
    face exactly as a whole render's full one did."""
    backend = open_backend("arcface", arcface_weights, backend="torch", device="cpu", max_batch=4)
    together = backend(faces[:4])
    for n in (1, 2, 3):
        assert np.array_equal(backend(faces[:n]), together[:n]), n
    tensors = backend.call_tensors(torch.from_numpy(faces[:1]))
    assert np.array_equal(tensors.numpy(), together[:1]), "the device entry is padded too"


def test_torch_and_onnxruntime_agree_on_embeddings(arcface_weights, faces):
    ref = open_backend("arcface", arcface_weights, backend="torch", device="cpu")(faces)
    ort_emb = open_backend("arcface", arcface_weights, backend="onnxruntime", device="cpu")(faces)
    assert np.all(np.isfinite(ref))
    assert _relative(ort_emb, ref) <= 1e-4


def test_fp16_graph_keeps_fp32_io_and_stays_close(arcface_weights, faces):
    fp32 = cached_onnx(arcface_weights, "arcface", lambda: None, precision="fp32")
    fp16 = cached_onnx(arcface_weights, "arcface", lambda: None, precision="fp16")
    graph = onnx.load(str(fp16), load_external_data=False).graph
    assert [i.type.tensor_type.elem_type for i in graph.input] == [onnx.TensorProto.FLOAT]
    assert [o.type.tensor_type.elem_type for o in graph.output] == [onnx.TensorProto.FLOAT]
    assert any(t.data_type == onnx.TensorProto.FLOAT16 for t in graph.initializer)
    from ghost_core.runtime import OnnxBackend  # the CPU provider can execute the fp16 graph too

    half = OnnxBackend("arcface", fp16, providers=["CPUExecutionProvider"], precision="fp16")(faces)
    full = OnnxBackend("arcface", fp32, providers=["CPUExecutionProvider"], precision="fp32")(faces)
    assert 0 < _relative(half, full) < 1e-2


def test_wrong_input_shapes_are_refused(arcface_weights):
    backend = open_backend("arcface", arcface_weights, backend="onnxruntime", device="cpu")
    with pytest.raises(UsageError, match=r"N×3×112×112"):
        backend(np.zeros((1, 3, 224, 224), np.float32))
    with pytest.raises(UsageError, match="1 input"):
        backend(np.zeros((1, 3, 112, 112), np.float32), np.zeros((1, 512), np.float32))


def test_device_and_precision_choices():
    assert ort_providers("cpu") == ["CPUExecutionProvider"]
    assert ort_providers("auto")[-1] == "CPUExecutionProvider"
    assert resolve_precision("auto", on_gpu=False) == "fp32"
    assert resolve_precision("auto", on_gpu=True) == "fp16"
    with pytest.raises(UsageError, match="fp16 needs a GPU"):
        resolve_precision("fp16", on_gpu=False)
    with pytest.raises(UsageError, match="unknown device"):
        ort_providers("tpu")
    if not torch.cuda.is_available():
        assert torch_device("auto").type == "cpu"
        with pytest.raises(UsageError, match="use --device cpu"):
            torch_device("cuda")
    import onnxruntime as ort

    if "CUDAExecutionProvider" not in ort.get_available_providers():
        with pytest.raises(UsageError, match="onnxruntime-gpu"):
            ort_providers("cuda")


def test_batch_statistics_enhancer_runs_only_on_torch(tmp_path):
    weights = save_random_checkpoint("enhancer", tmp_path / "10_net_G.pth", seed=0)
    with pytest.raises(UsageError, match="backend torch"):
        open_backend("enhancer", weights, backend="onnxruntime", statistics="batch")
    backend = open_backend("enhancer", weights, statistics="batch", device="cpu")
    assert backend.name == "torch"
    out = backend(np.random.default_rng(1).uniform(0, 1, (2, 3, 256, 256)).astype(np.float32))
    assert out.shape == (2, 3, 256, 256)
    assert np.abs(out).max() <= 1.0
