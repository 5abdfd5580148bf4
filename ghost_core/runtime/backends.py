"""Inference backends behind one small interface: call with float32 arrays, get float32 back.

Inputs are split into batches of at most `max_batch` samples (bounded memory on any shot length)
and the results concatenated, so callers hand over as many faces as they have.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

import numpy as np
import onnxruntime as ort
import torch
from torch import nn

from ghost_core.errors import UsageError
from ghost_core.runtime.graphs import GRAPHS, GraphSpec, graph_module


class Backend(ABC):
    """One loaded graph. `backend(*arrays)` runs it over any number of samples."""

    name: str

    def __init__(self, kind: str, *, device: str, precision: str, max_batch: int) -> None:
        if max_batch < 1:
            raise UsageError(f"batch size must be at least 1 (got {max_batch})")
        self.spec: GraphSpec = GRAPHS[kind]
        self.device = device
        self.precision = precision
        self.max_batch = max_batch

    def __call__(self, *arrays: np.ndarray) -> np.ndarray:
        arrays = self._validate(arrays)
        n = arrays[0].shape[0]
        if n == 0:
            return np.zeros((0, *self._output_shape()), np.float32)
        chunks = [
            self._run(tuple(a[i : i + self.max_batch] for a in arrays)) for i in range(0, n, self.max_batch)
        ]
        return chunks[0] if len(chunks) == 1 else np.concatenate(chunks)

    def _validate(self, arrays: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
        spec = self.spec
        if len(arrays) != len(spec.inputs):
            raise UsageError(f"{spec.kind} takes {len(spec.inputs)} input(s): {', '.join(spec.input_names)}")
        out = []
        for arr, (name, shape) in zip(arrays, spec.inputs, strict=True):
            arr = np.asarray(arr)
            if arr.ndim != len(shape) + 1 or arr.shape[1:] != shape:
                raise UsageError(
                    f"{spec.kind} input {name!r} must be N×{'×'.join(map(str, shape))}, got {arr.shape}"
                )
            out.append(np.ascontiguousarray(arr, dtype=np.float32))
        if len({a.shape[0] for a in out}) != 1:
            raise UsageError(f"{spec.kind} inputs have different batch sizes: {[a.shape[0] for a in out]}")
        return tuple(out)

    def call_tensors(self, *tensors: torch.Tensor) -> torch.Tensor:
        """`self(*arrays)` for torch tensors, the result on the first one's device.

        Goes through the host (and `__call__`'s checks); TorchBackend runs on the device directly.
        """
        out = self(*(t.detach().cpu().numpy() for t in tensors))
        return torch.from_numpy(out).to(tensors[0].device)

    def _output_shape(self) -> tuple[int, ...]:
        return (512,) if self.spec.kind == "arcface" else (3, 256, 256)

    @abstractmethod
    def _run(self, batch: tuple[np.ndarray, ...]) -> np.ndarray: ...

    def describe(self) -> dict[str, Any]:
        return {
            "backend": self.name,
            "graph": self.spec.kind,
            "device": self.device,
            "precision": self.precision,
        }


class TorchBackend(Backend):
    """Eager PyTorch on CPU or CUDA; fp16 on CUDA (GHOST's own generator precision), bf16 on either.

    Reduced precision casts the whole module (weights and activations), not autocast: on the CPU
    autocast re-casts weights on every call and measured slower than fp32, the cast module faster.
    """

    name = "torch"

    def __init__(
        self,
        kind: str,
        net: nn.Module,
        *,
        device: torch.device,
        precision: str,
        max_batch: int = 8,
        pad: bool = True,
    ) -> None:
        super().__init__(kind, device=str(device), precision=precision, max_batch=max_batch)
        self.dtype = {"fp16": torch.float16, "bf16": torch.bfloat16}.get(precision, torch.float32)
        self.torch_device = device
        self.module = graph_module(kind, net).to(device=device, dtype=self.dtype)
        self.pad = pad

    def _forward(self, inputs: Sequence[torch.Tensor]) -> torch.Tensor:
        """The module on one batch, padded to `max_batch` by repeating its last sample.

        torch's convolutions pick kernels by batch size, and their bits differ with it (2.6e-6 on
        the CPU for GHOST's generator, batch 1 against 2; a sample's place in a batch does not
        matter). Every call is the same size, so a face's swap does not depend on how many faces
        its chunk batched with it, and farm chunks stay bit-exact with a whole render. A short
        last batch costs the padding's compute. Not for batch-statistics modules (`pad=False`),
        whose output depends on the whole batch by design.
        """
        n = inputs[0].shape[0]
        if self.pad and 0 < n < self.max_batch:
            inputs = [torch.cat([t, t[-1:].expand(self.max_batch - n, *t.shape[1:])]) for t in inputs]
        return self.module(*inputs)[:n].float()

    def _run(self, batch: tuple[np.ndarray, ...]) -> np.ndarray:
        with torch.inference_mode():
            inputs = [torch.from_numpy(a).to(self.torch_device, self.dtype) for a in batch]
            return self._forward(inputs).cpu().numpy()

    def call_tensors(self, *tensors: torch.Tensor) -> torch.Tensor:
        """Tensors already on this backend's device stay there (a CUDA render's crops, swappers/ghost.py)."""
        if any(_placed(t.device) != _placed(self.torch_device) for t in tensors):
            return super().call_tensors(*tensors)
        n = tensors[0].shape[0]
        with torch.inference_mode():
            chunks = [
                self._forward([t[i : i + self.max_batch].to(self.dtype) for t in tensors])
                for i in range(0, n, self.max_batch)
            ]
        return chunks[0] if len(chunks) == 1 else torch.cat(chunks)


def _placed(device: torch.device) -> torch.device:
    """`device` with its index filled in ("cuda" means the current GPU, as a tensor's "cuda:0" does)."""
    if device.type == "cuda" and device.index is None:
        return torch.device("cuda", torch.cuda.current_device())
    return device


class OnnxBackend(Backend):
    """onnxruntime session on the best available provider (TensorRT, CUDA, CPU)."""

    name = "onnxruntime"

    def __init__(
        self,
        kind: str,
        onnx_path: os.PathLike[str] | str,
        *,
        providers: list[Any],
        precision: str,
        max_batch: int = 8,
    ) -> None:
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3
        self.session = ort.InferenceSession(str(onnx_path), options, providers=providers)
        active = self.session.get_providers()
        super().__init__(kind, device=active[0], precision=precision, max_batch=max_batch)
        self.onnx_path = str(onnx_path)

    def _run(self, batch: tuple[np.ndarray, ...]) -> np.ndarray:
        feeds = dict(zip(self.spec.input_names, batch, strict=True))
        return self.session.run([self.spec.output], feeds)[0].astype(np.float32, copy=False)
