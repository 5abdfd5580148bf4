"""GHOST networks in the official checkpoint layout, and their strict loaders."""

from __future__ import annotations

import re
from pathlib import Path

import torch

from ghost_core.errors import ModelError
from ghost_core.nets.aei_net import AEINet, SwapOnly, weight_init
from ghost_core.nets.checkpoints import load_into, read_state_dict, rename_legacy_generator
from ghost_core.nets.discriminator import MultiscaleDiscriminator
from ghost_core.nets.enhancer import FaceEnhancer, Statistics
from ghost_core.nets.iresnet import IResNet, iresnet100

__all__ = [
    "AEINet",
    "FaceEnhancer",
    "IResNet",
    "MultiscaleDiscriminator",
    "SwapOnly",
    "infer_num_blocks",
    "iresnet100",
    "load_arcface",
    "load_discriminator",
    "load_enhancer",
    "load_generator",
    "weight_init",
]

_ADD_BLOCK = re.compile(r"^generator\.AADBlk1\.add_blocks\.(\d+)\.")


def infer_num_blocks(state: dict[str, torch.Tensor]) -> int:
    """Number of AAD units per block, read from the generator's key names."""
    indices = {int(m[1]) for k in state if (m := _ADD_BLOCK.match(k))}
    if not indices:
        raise ModelError("not an AEI-Net generator checkpoint (no generator.AADBlk1.add_blocks keys)")
    return max(indices) // 3 + 1


def load_generator(path: str | Path, num_blocks: int | None = None) -> AEINet:
    """AEI-Net from G_unet_*.pth (v1 names accepted), strict, in eval mode."""
    state = rename_legacy_generator(read_state_dict(path))
    blocks = num_blocks or infer_num_blocks(state)
    return load_into(AEINet(blocks), state, str(path)).eval()


def load_discriminator(path: str | Path) -> MultiscaleDiscriminator:
    return load_into(MultiscaleDiscriminator(), read_state_dict(path), str(path)).eval()


def load_arcface(path: str | Path) -> IResNet:
    return load_into(iresnet100(), read_state_dict(path), str(path)).eval()


def load_enhancer(path: str | Path, statistics: Statistics = "running") -> FaceEnhancer:
    return load_into(FaceEnhancer(statistics), read_state_dict(path), str(path)).eval()
