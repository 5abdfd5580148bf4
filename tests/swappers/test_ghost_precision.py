"""`--precision bf16`: the ghost generator in bfloat16 stays close to fp32, and the fp32 default is
exactly the runtime path that existed before the knob (same backend, same bits)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from ghost_core.errors import UsageError
from ghost_core.knobs import DIGEST_FIELDS, PIXEL_FIELDS, TRACK_FIELDS, ShotSettings
from ghost_core.swappers.ghost import GhostSwapper
from tests.conftest import SHARED

MODEL = "ghost_unet_1block"
FACES = SHARED / "assets" / "faces" / "aligned224"


@pytest.fixture(scope="module")
def ghost_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Random generator and ArcFace weights in the official layout, installed like official files."""
    from ghost_core.models_store import install
    from ghost_core.nets.random_weights import save_random_checkpoint

    home = tmp_path_factory.mktemp("home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GHOSTSWAP_HOME", str(home))
        weights = home / "weights"
        save_random_checkpoint("generator", weights / "G_unet_1block.pth", num_blocks=1, seed=3)
        save_random_checkpoint("arcface", weights / "backbone.pth", seed=4)
        install(MODEL, from_dir=weights)
        install("arcface_backbone", from_dir=weights)
        shutil.rmtree(weights)  # install copied them; ~0.7 GB less temporary disk
        yield home
    shutil.rmtree(home)


@pytest.fixture(scope="module")
def crops() -> np.ndarray:
    """Two real aligned faces (224 crops in 0..1, as the engine hands them over)."""
    paths = sorted(p for p in FACES.iterdir() if p.suffix in (".jpg", ".png"))[:2]
    assert len(paths) == 2, f"{FACES} needs two aligned faces"
    images = [cv2.cvtColor(cv2.imread(str(p)), cv2.COLOR_BGR2RGB) for p in paths]
    return np.stack([cv2.resize(i, (224, 224), interpolation=cv2.INTER_AREA) for i in images]) / 255.0


def _settings(precision: str, device: str = "cpu") -> ShotSettings:
    return ShotSettings(
        plate="p.####.exr", sources=[[]], swapper="ghost", model=MODEL, precision=precision, device=device
    )


def _identity() -> np.ndarray:
    z = np.random.default_rng(5).normal(size=512).astype(np.float32)
    return z / np.linalg.norm(z)


def _psnr(a: np.ndarray, b: np.ndarray) -> float:
    return float(10 * np.log10(1.0 / np.mean((a.astype(np.float64) - b) ** 2)))


@pytest.mark.slow
def test_bf16_swap_is_within_40_db_of_fp32_and_is_really_bf16(ghost_home: Path, crops: np.ndarray) -> None:
    fp32 = GhostSwapper.from_settings(_settings("fp32"))
    bf16 = GhostSwapper.from_settings(_settings("bf16"))
    assert bf16.describe()["generator"] == {
        "backend": "torch", "graph": "generator", "device": "cpu", "precision": "bf16",
    }  # fmt: skip
    assert fp32.describe()["generator"]["precision"] == "fp32"
    a, b = fp32.swap(crops, _identity()), bf16.swap(crops, _identity())
    assert a.shape == b.shape == (2, 224, 224, 3)
    assert not np.array_equal(a, b), "bf16 gave fp32's bits: the generator did not run in bf16"
    psnr = _psnr(b, a)
    print(f"bf16 vs fp32 PSNR {psnr:.2f} dB")
    assert psnr >= 40.0, f"bf16 swapped crops are {psnr:.1f} dB from fp32"


@pytest.mark.slow
def test_fp32_default_is_the_runtime_path_from_before_the_knob(ghost_home: Path, crops: np.ndarray) -> None:
    from ghost_core.faces.identity import ArcFaceEncoder
    from ghost_core.runtime.loader import open_model

    assert ShotSettings(plate="p", sources=[[]]).precision == "fp32"
    generator = open_model(MODEL, kind="generator", device="cpu", max_batch=8)  # the call from before
    before = GhostSwapper(generator, ArcFaceEncoder.open(None, device="cpu"))
    now = GhostSwapper.from_settings(_settings("fp32"))
    assert now.describe() == before.describe()
    assert np.array_equal(now.swap(crops, _identity()), before.swap(crops, _identity()))


@pytest.mark.slow
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA (benchmarks/gpu_check.sh runs it)")
def test_bf16_on_cuda_is_within_40_db_of_fp32_on_the_cpu(ghost_home: Path, crops: np.ndarray) -> None:
    bf16 = GhostSwapper.from_settings(_settings("bf16", device="cuda"))
    assert bf16.describe()["generator"]["precision"] == "bf16"
    assert bf16.describe()["generator"]["device"].startswith("cuda")
    a = GhostSwapper.from_settings(_settings("fp32")).swap(crops, _identity())
    psnr = _psnr(bf16.swap(crops, _identity()), a)
    assert psnr >= 40.0, f"bf16 on CUDA is {psnr:.1f} dB from fp32 on the CPU"


def test_precision_decides_pixels_so_it_keys_track_render_and_cache() -> None:
    assert "precision" in DIGEST_FIELDS and "precision" in TRACK_FIELDS and "precision" in PIXEL_FIELDS


def test_bf16_is_refused_on_onnxruntime_and_unknown_precisions(tmp_path: Path) -> None:
    from ghost_core.nets.random_weights import save_random_checkpoint
    from ghost_core.runtime import open_backend

    weights = save_random_checkpoint("arcface", tmp_path / "backbone.pth", seed=1)
    with pytest.raises(UsageError, match="bf16 runs only on --backend torch"):
        open_backend("arcface", weights, backend="onnxruntime", device="cpu", precision="bf16")
    with pytest.raises(UsageError, match="unknown precision"):
        open_backend("arcface", weights, backend="torch", device="cpu", precision="int8")
    auto = open_backend("arcface", weights, device="cpu", precision="bf16")
    assert (auto.name, auto.precision) == ("torch", "bf16")
