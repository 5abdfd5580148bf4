"""Inference runtime: onnxruntime (TensorRT / CUDA / CPU) or torch behind one interface."""

from ghost_core.runtime.backends import Backend, OnnxBackend, TorchBackend
from ghost_core.runtime.export import cached_onnx, export_onnx
from ghost_core.runtime.graphs import GRAPHS, GraphSpec
from ghost_core.runtime.loader import BACKENDS, open_backend, open_model

__all__ = [
    "BACKENDS",
    "GRAPHS",
    "Backend",
    "GraphSpec",
    "OnnxBackend",
    "TorchBackend",
    "cached_onnx",
    "export_onnx",
    "open_backend",
    "open_model",
]
