"""Open a GHOST network file as a ready-to-call backend: the one entry point the engine uses."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from torch import nn

from ghost_core.errors import UsageError
from ghost_core.nets import load_arcface, load_enhancer, load_generator
from ghost_core.runtime.backends import Backend, OnnxBackend, TorchBackend
from ghost_core.runtime.devices import ort_is_gpu, ort_providers, resolve_precision, torch_device
from ghost_core.runtime.export import cached_onnx

log = logging.getLogger("ghostswap")

BACKENDS = ("auto", "onnxruntime", "torch")


def _builder(kind: str, weights: Path, statistics: str) -> Callable[[], nn.Module]:
    loaders: dict[str, Callable[[], nn.Module]] = {
        "generator": lambda: load_generator(weights),
        "arcface": lambda: load_arcface(weights),
        "enhancer": lambda: load_enhancer(weights, statistics),  # type: ignore[arg-type]
    }
    if kind not in loaders:
        raise UsageError(f"no inference graph for model kind {kind!r}: use generator, arcface or enhancer")
    return loaders[kind]


def open_backend(
    kind: str,
    weights: str | Path,
    *,
    backend: str = "auto",
    device: str = "auto",
    precision: str = "auto",
    max_batch: int = 8,
    sha256: str | None = None,
    statistics: str = "running",
) -> Backend:
    """Load `weights` (an official-layout .pth) as graph `kind` on the chosen backend.

    `auto` picks onnxruntime (faster on CPU and GPU, see benchmarks/generator.py) except for the
    enhancer's batch-statistics mode, which only torch can reproduce, and bf16, which onnxruntime's
    CPU provider has no convolution kernels for.
    """
    weights = Path(weights)
    if backend not in BACKENDS:
        raise UsageError(f"unknown backend {backend!r}: use one of {', '.join(BACKENDS)}")
    build = _builder(kind, weights, statistics)
    if backend == "auto":
        backend = "torch" if statistics == "batch" or precision == "bf16" else "onnxruntime"
    if backend == "onnxruntime":
        if precision == "bf16":
            raise UsageError("bf16 runs only on --backend torch (or auto); onnxruntime offers fp32 and fp16")
        if statistics == "batch":
            raise UsageError("the enhancer's batch-statistics mode runs only on --backend torch")
        providers = ort_providers(device, trt_cache=weights.parent / "trt_cache")
        prec = resolve_precision(precision, ort_is_gpu(providers))
        if prec == "fp16":
            providers = ort_providers(device, fp16=True, trt_cache=weights.parent / "trt_cache")
        path = cached_onnx(weights, kind, build, precision=prec, sha256=sha256)
        return OnnxBackend(kind, path, providers=providers, precision=prec, max_batch=max_batch)
    dev = torch_device(device)
    prec = resolve_precision(precision, dev.type == "cuda")
    return TorchBackend(
        kind, build(), device=dev, precision=prec, max_batch=max_batch, pad=statistics != "batch"
    )


def open_model(
    name: str | None = None,
    *,
    kind: str = "generator",
    backend: str = "auto",
    device: str = "auto",
    precision: str = "auto",
    max_batch: int = 8,
    statistics: str = "running",
) -> Backend:
    """Open an installed model by its manifest name (default: the manifest's default of `kind`).

    The path comes from the model manager, which refuses missing or altered files; the ONNX cache
    is keyed by the sha256 the manager pinned at install time, so nothing is re-hashed here.
    """
    from ghost_core.models_store import file_sha256, load_manifest, resolve

    manifest = load_manifest()
    asset = manifest.get(name) if name else manifest.default(kind)
    if asset.kind not in ("generator", "arcface", "enhancer"):
        raise UsageError(f"model {asset.name} is a {asset.kind}, not an inference network")
    weights = resolve(asset.name)
    return open_backend(
        asset.kind,
        weights,
        backend=backend,
        device=device,
        precision=precision,
        max_batch=max_batch,
        sha256=file_sha256(asset.name),
        statistics=statistics,
    )
