"""Deterministic random checkpoints in the official key layout.

Official GHOST weights cannot ship with GhostSwap, so tests, benchmarks and offline demos use
these instead: same keys, shapes and file format as the released files, seeded so every machine
gets the same bytes' worth of numbers. BatchNorm statistics are randomised too, so a loader that
dropped them would be caught.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from ghost_core.nets.aei_net import AEINet, weight_init
from ghost_core.nets.checkpoints import StateDict
from ghost_core.nets.discriminator import MultiscaleDiscriminator
from ghost_core.nets.enhancer import FaceEnhancer, SpectralConv2d
from ghost_core.nets.iresnet import iresnet100

KINDS = ("generator", "discriminator", "arcface", "enhancer")


def build_network(kind: str, num_blocks: int = 2) -> nn.Module:
    if kind == "generator":
        return AEINet(num_blocks)
    if kind == "discriminator":
        return MultiscaleDiscriminator()
    if kind == "arcface":
        return iresnet100()
    if kind == "enhancer":
        return FaceEnhancer()
    raise ValueError(f"unknown network kind {kind!r}: use one of {', '.join(KINDS)}")


def random_state_dict(
    kind: str, seed: int = 0, num_blocks: int = 2, dtype: torch.dtype = torch.float32
) -> StateDict:
    """A seeded random state dict for `kind`; floating tensors stored as `dtype` (fp16 mimics apex O2)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        net = build_network(kind, num_blocks)
        if kind == "generator":
            net.apply(weight_init)
        for module in net.modules():
            if isinstance(module, nn.modules.batchnorm._BatchNorm) and module.running_mean is not None:
                module.running_mean.normal_(0.0, 0.1)
                module.running_var.uniform_(0.5, 1.5)
        if kind == "enhancer":
            _settle_enhancer(net)
        state = net.state_dict()
    return {k: v.to(dtype) if v.is_floating_point() else v.clone() for k, v in state.items()}


@torch.no_grad()
def _settle_enhancer(net: nn.Module) -> None:
    """Give the enhancer what training leaves in a real file: converged spectral-norm vectors and
    running statistics that match its activations. Without them random weights saturate to ±1."""
    for module in net.modules():
        if isinstance(module, SpectralConv2d):
            module.settle()
        elif isinstance(module, nn.BatchNorm2d):
            module.reset_running_stats()
            module.momentum = None  # cumulative average over the calibration batch
    net.train()
    net(torch.rand(4, 3, 256, 256))
    net.eval()


def save_random_checkpoint(
    kind: str, path: str | Path, seed: int = 0, num_blocks: int = 2, dtype: torch.dtype = torch.float32
) -> Path:
    """Write a random checkpoint exactly as GHOST's train.py would (a plain state dict)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(random_state_dict(kind, seed, num_blocks, dtype), path)
    return path
