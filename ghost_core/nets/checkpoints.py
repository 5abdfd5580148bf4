"""Strict loading of the official GHOST checkpoints into the networks of this package.

Every file goes through `torch.load(weights_only=True)` (no pickled code runs), is compared key by
key and shape by shape with the network it is meant for, and is refused with a message listing
missing, unexpected and mis-shaped keys. Tensors stored in another dtype (apex O2 writes fp16)
are cast to the network's dtype.
"""

from __future__ import annotations

import logging
import re
import zipfile
from collections.abc import Mapping
from pathlib import Path

import torch
from torch import nn

from ghost_core.errors import CheckpointMismatchError, ModelError

log = logging.getLogger("ghostswap")

StateDict = dict[str, torch.Tensor]

# v1 AAD_ResBlk sub-module names (G_0_035000_init_arch_arcface2.pth) -> the num_blocks=2 layout.
_V1_NAMES = {
    "AAD1": "add_blocks.0",
    "conv1": "add_blocks.2",
    "AAD2": "add_blocks.3",
    "conv2": "add_blocks.5",
    "AAD3": "last_add_block.0",
    "conv3": "last_add_block.2",
}
_V1_KEY = re.compile(r"^(generator\.AADBlk\d)\.(AAD[123]|conv[123])\.(.+)$")
_LIST_LIMIT = 8


def read_state_dict(path: str | Path) -> StateDict:
    """Read a checkpoint safely; unwrap {'state_dict': ...} and a DataParallel `module.` prefix."""
    path = Path(path)
    if not path.is_file():
        raise ModelError(f"{path}: checkpoint not found; install it with `ghostswap models install`")
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except (RuntimeError, EOFError, OSError, ValueError, zipfile.BadZipFile) as exc:
        raise ModelError(
            f"{path}: not a readable PyTorch checkpoint ({_first_line(exc)}); it may be truncated or"
            " tampered with: delete it and reinstall with `ghostswap models install`"
        ) from exc
    except Exception as exc:  # UnpicklingError for non-tensor payloads refused by weights_only
        raise ModelError(
            f"{path}: refused by the safe loader ({_first_line(exc)}); only plain tensor state dicts"
            " are accepted"
        ) from exc
    if isinstance(obj, Mapping) and isinstance(obj.get("state_dict"), Mapping):
        obj = obj["state_dict"]
    if not isinstance(obj, Mapping) or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        raise ModelError(f"{path}: does not contain a state dict of tensors")
    state = dict(obj)
    if state and all(k.startswith("module.") for k in state):
        state = {k[len("module.") :]: v for k, v in state.items()}
    return state


def rename_legacy_generator(state: StateDict) -> StateDict:
    """Map the v1 generator names (AAD1/conv1/...) to the 2-block layout; other keys unchanged."""
    if not any(_V1_KEY.match(k) for k in state):
        return state
    renamed = {}
    for key, value in state.items():
        m = _V1_KEY.match(key)
        renamed[f"{m[1]}.{_V1_NAMES[m[2]]}.{m[3]}" if m else key] = value
    log.info("legacy v1 generator key names mapped to the 2-block layout")
    return renamed


def check_layout(module: nn.Module, state: Mapping[str, torch.Tensor], source: str) -> None:
    """Raise CheckpointMismatchError unless keys and shapes equal the module's state dict."""
    expected = module.state_dict()
    missing = sorted(expected.keys() - state.keys())
    unexpected = sorted(state.keys() - expected.keys())
    shapes = [
        f"{k} {tuple(state[k].shape)} != {tuple(expected[k].shape)}"
        for k in expected.keys() & state.keys()
        if state[k].shape != expected[k].shape
    ]
    if not (missing or unexpected or shapes):
        return
    parts = []
    for label, items in (
        ("missing keys", missing),
        ("unexpected keys", unexpected),
        ("wrong shapes", sorted(shapes)),
    ):
        if items:
            more = f", ... and {len(items) - _LIST_LIMIT} more" if len(items) > _LIST_LIMIT else ""
            parts.append(f"{len(items)} {label}: {', '.join(items[:_LIST_LIMIT])}{more}")
    raise CheckpointMismatchError(
        f"{source} does not match {type(module).__name__}"
        f"{_arch_hint(module)}: " + "; ".join(parts) + ". Check that the file is the model you named."
    )


def load_into(module: nn.Module, state: Mapping[str, torch.Tensor], source: str) -> nn.Module:
    """Strictly load `state` into `module`, casting each tensor to the module's dtype."""
    check_layout(module, state, source)
    target = module.state_dict()
    cast = {k: v.to(dtype=target[k].dtype) for k, v in state.items()}
    module.load_state_dict(cast, strict=True)
    return module


def _arch_hint(module: nn.Module) -> str:
    blocks = getattr(module, "num_blocks", None)
    return f"(num_blocks={blocks})" if blocks else ""


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__
