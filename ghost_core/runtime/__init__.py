"""Inference runtime: onnxruntime (TensorRT / CUDA / CPU) or torch behind one interface.

Names are imported on first use (PEP 562), so `ghostswap` commands that never run a network (job
checks, farm templates, the host client) start without paying for torch and onnxruntime.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_WHERE = {
    "Backend": "backends",
    "OnnxBackend": "backends",
    "TorchBackend": "backends",
    "cached_onnx": "export",
    "export_onnx": "export",
    "GRAPHS": "graphs",
    "GraphSpec": "graphs",
    "BACKENDS": "loader",
    "open_backend": "loader",
    "open_model": "loader",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{_WHERE[name]}"), name)
