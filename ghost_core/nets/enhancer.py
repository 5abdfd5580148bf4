"""GHOST's optional face enhancer ("super-resolution"): the LIPSPADE generator of `10_net_G.pth`.

A HiFaceGAN-style 256->256 face restorer (GHOST_REFERENCE.md §1.6, §2.5): a LIP encoder down to
768@8, then SPADE residual blocks conditioned on the input image itself, back up to 256.
Input B×3×256×256 RGB in [0, 1]; output RGB in [-1, 1] (tanh).

GHOST runs this network in train mode, so its BatchNorms use the statistics of each batch and
spectral norm runs a power iteration on every call: results then depend on which faces share a
batch. `statistics="running"` (the default) uses the stored running statistics and stored
singular vectors instead, so a face's result never depends on its neighbours; `"batch"` reproduces
the original behaviour (one power iteration from the stored vectors, nothing written back).
"""

from __future__ import annotations

import itertools
from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

Statistics = Literal["running", "batch"]
NGF = 48
_SOFT_GATE = 12.0


class SpectralConv2d(nn.Module):
    """Conv2d whose weight is divided by its largest singular value (keys weight_orig/_u/_v)."""

    def __init__(self, cin: int, cout: int, k: int, bias: bool = True) -> None:
        super().__init__()
        self.padding = k // 2
        self.weight_orig = nn.Parameter(torch.empty(cout, cin, k, k))
        self.bias = nn.Parameter(torch.zeros(cout)) if bias else None
        self.register_buffer("weight_u", F.normalize(torch.randn(cout), dim=0, eps=1e-12))
        self.register_buffer("weight_v", F.normalize(torch.randn(cin * k * k), dim=0, eps=1e-12))
        nn.init.xavier_normal_(self.weight_orig, gain=0.02)
        self.power_iteration = False

    @torch.no_grad()
    def settle(self, iterations: int = 50) -> None:
        """Converge the stored singular vectors, as a trained checkpoint's are."""
        w = self.weight_orig.flatten(1)
        u = self.weight_u
        for _ in range(iterations):
            v = F.normalize(torch.mv(w.t(), u), dim=0, eps=1e-12)
            u = F.normalize(torch.mv(w, v), dim=0, eps=1e-12)
        self.weight_u.copy_(u)
        self.weight_v.copy_(v)

    def weight(self) -> torch.Tensor:
        w = self.weight_orig.flatten(1)
        u, v = self.weight_u, self.weight_v
        if self.power_iteration:
            with torch.no_grad():
                v = F.normalize(torch.mv(w.t(), u), dim=0, eps=1e-12)
                u = F.normalize(torch.mv(w, v), dim=0, eps=1e-12)
        sigma = torch.dot(u, torch.mv(w, v))
        return self.weight_orig / sigma

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, self.weight(), self.bias, padding=self.padding)


class SPADE(nn.Module):
    """Parameter-free BN, then a per-pixel scale and shift predicted from the (resized) image."""

    def __init__(self, channels: int, label_nc: int = 3) -> None:
        super().__init__()
        hidden = 128 if channels > 128 else channels
        self.param_free_norm = nn.BatchNorm2d(channels, affine=False)
        self.mlp_shared = nn.Sequential(nn.Conv2d(label_nc, hidden, 3, padding=1), nn.ReLU())
        self.mlp_gamma = nn.Conv2d(hidden, channels, 3, padding=1, bias=False)
        self.mlp_beta = nn.Conv2d(hidden, channels, 3, padding=1, bias=False)
        self.batch_statistics = False

    def forward(self, x: torch.Tensor, seg: torch.Tensor) -> torch.Tensor:
        bn = self.param_free_norm
        # GHOST's inference mode normalises by the batch; the running buffers are passed as None so
        # the stored statistics are never modified by inference.
        if self.batch_statistics:
            normalized = F.batch_norm(x, None, None, training=True, eps=bn.eps)
        else:
            normalized = bn(x)  # eval: running statistics; train mode (training): batch statistics
        actv = self.mlp_shared(F.interpolate(seg, size=x.shape[2:], mode="nearest"))
        return normalized * (1 + self.mlp_gamma(actv)) + self.mlp_beta(actv)


class SPADEResnetBlock(nn.Module):
    def __init__(self, fin: int, fout: int) -> None:
        super().__init__()
        fmid = min(fin, fout)
        self.conv_0 = SpectralConv2d(fin, fmid, 3)
        self.conv_1 = SpectralConv2d(fmid, fout, 3)
        self.norm_0 = SPADE(fin)
        self.norm_1 = SPADE(fmid)
        self.learned_shortcut = fin != fout
        if self.learned_shortcut:
            self.conv_s = SpectralConv2d(fin, fout, 1, bias=False)
            self.norm_s = SPADE(fin)

    def forward(self, x: torch.Tensor, seg: torch.Tensor) -> torch.Tensor:
        shortcut = self.conv_s(self.norm_s(x, seg)) if self.learned_shortcut else x
        dx = self.conv_0(F.leaky_relu(self.norm_0(x, seg), 0.2))
        dx = self.conv_1(F.leaky_relu(self.norm_1(dx, seg), 0.2))
        return shortcut + dx


class SimplifiedLIP(nn.Module):
    """Local importance pooling (stride 2): an average weighted by exp(12·sigmoid(logit))."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.logit = nn.Sequential(
            nn.Conv2d(channels, channels, 3, padding=1, bias=False),
            nn.InstanceNorm2d(channels, affine=True),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # exp(12·s - 12) instead of exp(12·s): the ratio is unchanged, and the weights stay <= 1
        # so fp16 cannot overflow (e^12 > 65504).
        weight = torch.exp(_SOFT_GATE * (torch.sigmoid(self.logit(x)) - 1.0))
        num = F.avg_pool2d(x * weight, 3, stride=2, padding=1)
        return num / F.avg_pool2d(weight, 3, stride=2, padding=1)


def _lip_encoder() -> nn.Sequential:
    """Indices 0..21 as in the checkpoint: conv, IN, ReLU, then 5 x [LIP, conv, IN, (ReLU)]."""
    layers: list[nn.Module] = [nn.Conv2d(3, NGF, 3, padding=1, bias=False), nn.InstanceNorm2d(NGF), nn.ReLU()]
    ratio = 1
    for i in range(5):
        nxt = min(ratio * 2, 16)
        layers += [
            SimplifiedLIP(NGF * ratio),
            nn.Conv2d(NGF * ratio, NGF * nxt, 3, padding=1),
            nn.InstanceNorm2d(NGF * nxt),
        ]
        if i < 4:
            layers.append(nn.ReLU())
        ratio = nxt
    return nn.Sequential(*layers)


class _LIPEncoder(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.model = _lip_encoder()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)


class FaceEnhancer(nn.Module):
    """LIPSPADEGenerator(ngf=48): 256×256 RGB [0, 1] in, 256×256 RGB [-1, 1] out."""

    def __init__(self, statistics: Statistics = "running") -> None:
        super().__init__()
        nf = NGF
        self.lip_encoder = _LIPEncoder()
        # `fc` and `to_rgbs.0..2` are in the checkpoint but unused at test time (kept for strict loading).
        self.fc = nn.Conv2d(3, 16 * nf, 3, padding=1)
        self.head_0 = SPADEResnetBlock(16 * nf, 16 * nf)
        self.G_middle_0 = SPADEResnetBlock(16 * nf, 16 * nf)
        self.G_middle_1 = SPADEResnetBlock(16 * nf, 16 * nf)
        widths = (16 * nf, 8 * nf, 4 * nf, 2 * nf, nf)
        self.ups = nn.ModuleList(SPADEResnetBlock(a, b) for a, b in itertools.pairwise(widths))
        self.to_rgbs = nn.ModuleList(nn.Conv2d(c, 3, 3, padding=1) for c in widths[1:])
        self.set_statistics(statistics)

    def set_statistics(self, statistics: Statistics) -> None:
        """Choose running statistics (deterministic per face) or GHOST's batch statistics."""
        if statistics not in ("running", "batch"):
            raise ValueError(f"statistics must be 'running' or 'batch' (got {statistics!r})")
        self.statistics = statistics
        for m in self.modules():
            if isinstance(m, SPADE):
                m.batch_statistics = statistics == "batch"
            elif isinstance(m, SpectralConv2d):
                m.power_iteration = statistics == "batch"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        seg = x
        h = self.head_0(self.lip_encoder(x), seg)
        h = F.interpolate(h, scale_factor=2.0, mode="nearest")
        h = self.G_middle_1(self.G_middle_0(h, seg), seg)
        for block in self.ups:
            h = block(F.interpolate(h, scale_factor=2.0, mode="nearest"), seg)
        return torch.tanh(self.to_rgbs[-1](F.leaky_relu(h, 0.2)))
