"""pix2pixHD multiscale discriminator in GHOST's configuration (GHOST_REFERENCE.md §1.5, §2.3)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def _scale(ndf: int = 64, n_layers: int = 5) -> nn.Sequential:
    """One PatchGAN: conv indices 0, 2, 5, 8, 11, 14, 17 as in the official state dict."""
    layers: list[nn.Module] = [nn.Conv2d(3, ndf, 4, 2, 2), nn.LeakyReLU(0.2)]
    nf = ndf
    for _ in range(1, n_layers):
        nf_prev, nf = nf, min(nf * 2, 512)
        layers += [nn.Conv2d(nf_prev, nf, 4, 2, 2), nn.InstanceNorm2d(nf), nn.LeakyReLU(0.2)]
    nf_prev, nf = nf, min(nf * 2, 512)
    layers += [nn.Conv2d(nf_prev, nf, 4, 1, 2), nn.InstanceNorm2d(nf), nn.LeakyReLU(0.2)]
    layers += [nn.Conv2d(nf, 1, 4, 1, 2)]
    return nn.Sequential(*layers)


class MultiscaleDiscriminator(nn.Module):
    """Three PatchGANs; returns their logit maps, full resolution first (11², 7², 5² for 256 input).

    The full-resolution input goes to `layer2`, each halving to the next lower index, as in GHOST.
    The original wraps each map in a one-element list; here the list is flat.
    """

    num_d = 3

    def __init__(self) -> None:
        super().__init__()
        for i in range(self.num_d):
            setattr(self, f"layer{i}", _scale())

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        maps = []
        for i in range(self.num_d):
            maps.append(getattr(self, f"layer{self.num_d - 1 - i}")(x))
            if i != self.num_d - 1:
                x = F.avg_pool2d(x, 3, stride=2, padding=1, count_include_pad=False)
        return maps
