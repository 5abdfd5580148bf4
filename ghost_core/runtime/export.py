"""ONNX export of the inference graphs, cached next to the weights they came from.

Cache files are named after the weights' sha256, the graph and the precision, so new weights
(a fine-tune, a re-download) never reuse a stale export; exports of older weights are removed.
Every file is written under a temporary name and renamed, so an interrupted export leaves nothing
that could be mistaken for a finished one.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable
from pathlib import Path

import onnx
import torch
from torch import nn

from ghost_core.errors import ModelError
from ghost_core.io.atomic import atomic_output
from ghost_core.models_store.hashing import sha256_file
from ghost_core.runtime.graphs import GRAPHS, graph_module

log = logging.getLogger("ghostswap")

# Bump when the exported graph changes for the same weights (invalidates every cached export).
EXPORT_VERSION = 1
OPSET = 17
# Kept in fp32 inside fp16 graphs: the normalisations' variance and the LIP exponentials are where
# half precision overflows or loses the most (GHOST_REFERENCE.md §8.10).
FP32_OPS = ["InstanceNormalization", "BatchNormalization", "ReduceMean", "Pow", "Sqrt", "Exp", "Softmax"]


def export_onnx(net: nn.Module, kind: str, path: Path) -> Path:
    """Export `net` as graph `kind` to `path` (fp32, dynamic batch, static spatial size)."""
    spec = GRAPHS[kind]
    module = graph_module(kind, net).float().cpu()
    dummy = tuple(torch.zeros(1, *shape) for _, shape in spec.inputs)
    axes = {name: {0: "batch"} for name in (*spec.input_names, spec.output)}
    with atomic_output(path) as tmp, warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # the legacy exporter warns about eval-mode instance norm
        torch.onnx.export(
            module,
            dummy,
            str(tmp),
            input_names=list(spec.input_names),
            output_names=[spec.output],
            dynamic_axes=axes,
            opset_version=OPSET,
            do_constant_folding=True,
            dynamo=False,
        )
    return path


def convert_fp16(src: Path, dst: Path) -> Path:
    """fp16 copy of an fp32 graph for GPUs; inputs and outputs stay fp32 so callers do not change."""
    from onnxruntime.transformers.float16 import convert_float_to_float16

    model = convert_float_to_float16(onnx.load(str(src)), keep_io_types=True, op_block_list=FP32_OPS)
    with atomic_output(dst) as tmp:
        onnx.save(model, str(tmp))
    return dst


def cached_onnx(
    weights: Path,
    kind: str,
    build: Callable[[], nn.Module],
    *,
    precision: str = "fp32",
    sha256: str | None = None,
    cache_dir: Path | None = None,
) -> Path:
    """Path of the exported graph for these weights, exporting (and converting) only when missing."""
    if precision not in ("fp32", "fp16"):
        raise ValueError(f"precision must be fp32 or fp16 (got {precision!r})")
    digest = (sha256 or sha256_file(weights, label=f"hash {weights.name}"))[:16]
    folder = cache_dir or weights.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ModelError(f"{folder}: cannot create the ONNX cache folder ({exc})") from exc
    stem = f"{weights.stem}.{kind}"
    current = {f"{stem}.{digest}.v{EXPORT_VERSION}.{p}.onnx" for p in ("fp32", "fp16")}
    for stale in folder.glob(f"{stem}.*.onnx"):
        if stale.name not in current:
            log.info("removing outdated export %s", stale)
            stale.unlink(missing_ok=True)
    fp32 = folder / f"{stem}.{digest}.v{EXPORT_VERSION}.fp32.onnx"
    if not fp32.is_file():
        log.info("exporting %s to ONNX (once per weights file)", weights.name)
        export_onnx(build(), kind, fp32)
    if precision == "fp32":
        return fp32
    fp16 = folder / f"{stem}.{digest}.v{EXPORT_VERSION}.fp16.onnx"
    if not fp16.is_file():
        convert_fp16(fp32, fp16)
    return fp16
