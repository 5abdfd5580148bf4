"""Training checkpoints: official-layout weights plus a separate resumable state.

`G_latest.pth` / `D_latest.pth` are plain fp32 state dicts, exactly what GHOST's train.py writes
and what `ghost_core.nets.load_generator` reads strictly (so they can be installed and rendered).
`train_state.pt` holds everything else a resume needs (optimisers, scalers, schedulers, step,
RNG) and the sha256 of the two weight files it belongs to, so a state paired with weights from
another save (a crash between the writes) is refused instead of silently mixed. Every file is
written atomically; all of them load with `torch.load(weights_only=True)`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

from ghost_core.errors import ModelError
from ghost_core.io.atomic import atomic_output
from ghost_core.models_store.hashing import sha256_file

G_FILE = "G_latest.pth"
D_FILE = "D_latest.pth"
STATE_FILE = "train_state.pt"
STATE_FORMAT = "ghostswap-train-state"
STATE_VERSION = 1



def official_state(module: nn.Module) -> dict[str, torch.Tensor]:
    """The module's state dict on the CPU, floats as fp32 (never apex's fp16 checkpoints)."""
    return {
        k: (v.detach().float() if v.is_floating_point() else v.detach()).cpu().clone()
        for k, v in module.state_dict().items()
    }


def save_weights(module: nn.Module, path: Path) -> str:
    """Write one official-layout file atomically; returns its sha256."""
    with atomic_output(path) as tmp:
        torch.save(official_state(module), tmp)
        digest = sha256_file(tmp)
    return digest


def save_checkpoint(
    folder: Path, generator: nn.Module, discriminator: nn.Module, state: dict[str, Any]
) -> Path:
    """G and D first, the training state (naming their hashes) last."""
    folder.mkdir(parents=True, exist_ok=True)
    hashes = {
        G_FILE: save_weights(generator, folder / G_FILE),
        D_FILE: save_weights(discriminator, folder / D_FILE),
    }
    payload = {"format": STATE_FORMAT, "version": STATE_VERSION, "weights": hashes, **state}
    with atomic_output(folder / STATE_FILE) as tmp:
        torch.save(payload, tmp)
    return folder / STATE_FILE


def read_training_state(folder: Path) -> dict[str, Any]:
    """The state saved in `folder`, after checking that G/D_latest.pth are the files it was saved with."""
    path = folder / STATE_FILE
    if not path.is_file():
        raise ModelError(
            f"{path}: no training state to resume from; start without --resume or point --out at the "
            "folder of an earlier run"
        )
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise ModelError(f"{path}: unreadable training state ({exc}); resume from another save") from None
    if not isinstance(state, dict) or state.get("format") != STATE_FORMAT:
        raise ModelError(f"{path}: not a ghostswap training state")
    for name, expected in state["weights"].items():
        weights = folder / name
        if not weights.is_file() or sha256_file(weights) != expected:
            raise ModelError(
                f"{weights} is not the file {path.name} was saved with (missing, or written by an "
                "interrupted save): restore both from a backup or start a new run"
            )
    return state
