"""Which accelerator and precision to use, for onnxruntime and for torch."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import onnxruntime as ort

from ghost_core.errors import UsageError

if TYPE_CHECKING:  # torch loads lazily: onnxruntime-only paths (detectors, a farm driver) never need it
    import torch

DEVICES = ("auto", "cpu", "cuda", "tensorrt")
PRECISIONS = ("auto", "fp32", "fp16", "bf16")


def ort_providers(device: str = "auto", *, fp16: bool = False, trt_cache: Path | None = None) -> list[Any]:
    """Execution providers in preference order: TensorRT, CUDA, then CPU as the fallback."""
    if device not in DEVICES:
        raise UsageError(f"unknown device {device!r}: use one of {', '.join(DEVICES)}")
    available = set(ort.get_available_providers())
    chosen: list[Any] = []
    if device in ("auto", "tensorrt") and "TensorrtExecutionProvider" in available:
        options: dict[str, Any] = {"trt_fp16_enable": fp16}
        if trt_cache is not None:
            options |= {"trt_engine_cache_enable": True, "trt_engine_cache_path": str(trt_cache)}
        chosen.append(("TensorrtExecutionProvider", options))
    if device in ("auto", "cuda", "tensorrt") and "CUDAExecutionProvider" in available:
        chosen.append("CUDAExecutionProvider")
    if device in ("cuda", "tensorrt") and not chosen:
        raise UsageError(
            f"device {device!r} requested but onnxruntime offers only {sorted(available)}:"
            " install onnxruntime-gpu (pip install 'ghostswap[gpu]') or use --device cpu"
        )
    return [*chosen, "CPUExecutionProvider"]


def ort_is_gpu(providers: list[Any]) -> bool:
    return (providers[0] if isinstance(providers[0], str) else providers[0][0]) != "CPUExecutionProvider"


def torch_device(device: str = "auto") -> torch.device:
    import torch

    if device not in DEVICES:
        raise UsageError(f"unknown device {device!r}: use one of {', '.join(DEVICES)}")
    if device in ("cuda", "tensorrt") and not torch.cuda.is_available():
        raise UsageError("CUDA requested but this torch build sees no GPU: use --device cpu")
    return torch.device("cuda" if device != "cpu" and torch.cuda.is_available() else "cpu")


def resolve_precision(precision: str, on_gpu: bool) -> str:
    """auto -> fp16 on a GPU (as GHOST runs its generator), fp32 on the CPU; bf16 runs on either.

    bf16 keeps fp32's exponent range, so unlike fp16 it cannot overflow on the CPU; it pays off on
    CPUs with AVX-512 BF16 / AMX (benchmarks/pipeline.py measures it).
    """
    if precision not in PRECISIONS:
        raise UsageError(f"unknown precision {precision!r}: use one of {', '.join(PRECISIONS)}")
    if precision == "auto":
        return "fp16" if on_gpu else "fp32"
    if precision == "fp16" and not on_gpu:
        raise UsageError("fp16 needs a GPU; on the CPU use --precision fp32 (or auto)")
    return precision
