"""Official-layout checkpoints go the way a user's download goes, then run on both backends.

Deterministic random weights are written in the official file names and key layout, downloaded
from a real HTTP server on 127.0.0.1 (through the mirror setting) or installed from a folder
(the air-gapped path), resolved by the model manager, loaded strictly, and run on torch and
onnxruntime: generator outputs agree to 1e-3, embeddings to 1e-4 relative.
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import torch

from ghost_core.cli import main
from ghost_core.errors import ModelError, UsageError
from ghost_core.models_store import resolve
from ghost_core.nets import load_discriminator, load_generator
from ghost_core.nets.random_weights import save_random_checkpoint
from ghost_core.runtime import open_model
from tests.models_http import FileServer

pytestmark = pytest.mark.slow

# file name, network kind, seed, num_blocks, stored dtype (fp16 = apex O2 style)
OFFICIAL_FILES = [
    ("G_unet_1block.pth", "generator", 1, 1, torch.float32),
    ("G_unet_2blocks.pth", "generator", 2, 2, torch.float32),
    ("G_unet_3blocks.pth", "generator", 3, 3, torch.float16),
    ("D_unet_2blocks.pth", "discriminator", 4, 2, torch.float16),
    ("backbone.pth", "arcface", 5, 2, torch.float32),
    ("10_net_G.pth", "enhancer", 6, 2, torch.float32),
]


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A model cache with every network installed: G 2-blocks downloaded, the rest from a folder."""
    source = tmp_path_factory.mktemp("release")
    for file, kind, seed, blocks, dtype in OFFICIAL_FILES:
        save_random_checkpoint(kind, source / file, seed=seed, num_blocks=blocks, dtype=dtype)
    home = tmp_path_factory.mktemp("home")
    server = FileServer(files={"G_unet_2blocks.pth": (source / "G_unet_2blocks.pth").read_bytes()}).start()
    mp = pytest.MonkeyPatch()
    mp.setenv("GHOSTSWAP_HOME", str(home))
    mp.setenv("GHOSTSWAP_MODEL_MIRROR", server.base)
    mp.delenv("GHOSTSWAP_MANIFEST", raising=False)
    try:
        assert main(["-q", "models", "install", "ghost_unet_2blocks"]) == 0
        assert [r.path for r in server.requests] == ["G_unet_2blocks.pth"]
        (source / "G_unet_2blocks.pth").unlink()  # the folder install must not need it
        assert main(["-q", "models", "install", "--from", str(source)]) == 0
        shutil.rmtree(source)  # install copied every file: 1.6 GB less temporary disk
        yield home
    finally:
        server.stop()
        mp.undo()
        shutil.rmtree(home, ignore_errors=True)  # 3.4 GB: every network and its ONNX exports


def _generator_inputs(n: int = 2) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(42)
    target = rng.uniform(-1, 1, (n, 3, 256, 256)).astype(np.float32)
    z_id = (rng.normal(size=(n, 512)) * 5).astype(np.float32)  # raw ArcFace norms are ~10-30
    return target, z_id


@pytest.mark.parametrize("name", ["ghost_unet_1block", "ghost_unet_2blocks", "ghost_unet_3blocks"])
def test_generator_torch_and_onnxruntime_agree(installed, name):
    target, z_id = _generator_inputs()
    ref = open_model(name, backend="torch", device="cpu")(target, z_id)
    out = open_model(name, backend="onnxruntime", device="cpu")(target, z_id)
    assert ref.shape == out.shape == (2, 3, 256, 256)
    assert ref.std() > 0.05  # not a saturated or constant image
    assert float(np.abs(out - ref).max()) <= 1e-3
    # the identity actually steers the output
    other = open_model(name, backend="onnxruntime", device="cpu")(target, z_id[::-1].copy())
    assert float(np.abs(other[0] - out[0]).max()) > 1e-2


def test_loaded_weights_are_the_installed_ones(installed):
    from ghost_core.nets.random_weights import random_state_dict

    net = load_generator(resolve("ghost_unet_3blocks"))
    assert net.num_blocks == 3
    expected = random_state_dict("generator", seed=3, num_blocks=3, dtype=torch.float16)
    key = "generator.AADBlk5.add_blocks.6.conv_h.weight"
    assert torch.equal(net.state_dict()[key], expected[key].float())
    disc = load_discriminator(resolve("ghost_discriminator_2blocks"))
    assert disc.layer0[0].weight.dtype == torch.float32


def test_arcface_embeddings_agree(installed):
    faces = np.random.default_rng(3).uniform(-1, 1, (3, 3, 112, 112)).astype(np.float32)
    ref = open_model("arcface_backbone", backend="torch", device="cpu")(faces)
    out = open_model("arcface_backbone", backend="onnxruntime", device="cpu")(faces)
    assert float(np.linalg.norm(out - ref) / np.linalg.norm(ref)) <= 1e-4


def test_enhancer_agrees(installed):
    faces = np.random.default_rng(4).uniform(0, 1, (2, 3, 256, 256)).astype(np.float32)
    ref = open_model("ghost_enhancer", backend="torch", device="cpu")(faces)
    out = open_model("ghost_enhancer", backend="onnxruntime", device="cpu")(faces)
    assert ref.std() > 0.01
    assert float(np.abs(out - ref).max()) <= 1e-3


def test_default_generator_and_tampered_weights(installed):
    backend = open_model(backend="onnxruntime", device="cpu")
    assert "G_unet_2blocks" in backend.onnx_path
    weights = resolve("ghost_unet_1block")
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(ModelError, match=r"G_unet_1block\.pth"):
        open_model("ghost_unet_1block", backend="onnxruntime", device="cpu")


def test_not_installed_and_wrong_kind(installed):
    with pytest.raises(ModelError, match="ghostswap models install wflw_4hg"):
        resolve("wflw_4hg")
    for name in ("wflw_4hg", "ghost_discriminator_2blocks"):
        with pytest.raises(UsageError, match="not an inference network"):
            open_model(name)


def test_cli_export_builds_the_graph_once(installed, capsys):
    assert main(["--json", "models", "export", "arcface_backbone", "--device", "cpu"]) == 0
    import json

    report = json.loads(capsys.readouterr().out)
    onnx_path = report["exported"][0]["onnx"]
    assert onnx_path.endswith(".fp32.onnx")
    assert report["exported"][0]["backend"] == "onnxruntime"
    assert main(["-q", "models", "export", "arcface_backbone", "--device", "cpu"]) == 0
    assert capsys.readouterr().out.strip().startswith(f"arcface_backbone: {onnx_path}")
