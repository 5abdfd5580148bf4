"""The AdaptiveWingLoss FAN (4 stacked hourglasses, 98 WFLW points) behind GHOST's eye loss.

Module names follow `WFLW_4HG.pth` (GHOST_REFERENCE.md §1.7) so the released file loads strictly.
Unlike the original, coordinate channels are built on the input's device (no `.cuda()`), and
`end_relu` is a real boolean, on by default because GHOST's string flag made it effectively on.
"""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from ghost_core.nets.checkpoints import StateDict, load_into, read_state_dict

NUM_LANDMARKS = 98
# WFLW indices of the two pupil centres: the heatmaps GHOST's eye loss compares.
EYE_CHANNELS = (96, 97)


def _coord_channels(n: int, size: int, like: torch.Tensor, with_r: bool) -> torch.Tensor:
    """[row, column(, radius)] planes in [-1, 1], the order AddCoordsTh concatenates them in.

    AWL's "xx" plane varies along the first spatial axis (rows) after its permute, "yy" along
    columns; the radius is normalised by its maximum.
    """
    ramp = torch.linspace(-1.0, 1.0, size, device=like.device, dtype=like.dtype)
    rows = ramp.view(size, 1).expand(size, size)
    cols = ramp.view(1, size).expand(size, size)
    planes = [rows, cols]
    if with_r:
        radius = torch.sqrt(rows.square() + cols.square())
        planes.append(radius / radius.max())
    return torch.stack(planes).unsqueeze(0).expand(n, -1, -1, -1)


class CoordConv(nn.Module):
    """Conv over [input, coordinates(, boundary-masked coordinates)]; key `<name>.conv.*`.

    Boundary channels (the row/column planes kept where the previous stack's boundary heatmap
    exceeds 0.05) exist only when a previous heatmap is passed; `first_one` drops them.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        stride: int = 1,
        padding: int = 0,
        with_r: bool = True,
        with_boundary: bool = False,
    ) -> None:
        super().__init__()
        self.with_r = with_r
        self.with_boundary = with_boundary
        extra = 2 + int(with_r) + (2 if with_boundary else 0)
        self.conv = nn.Conv2d(in_channels + extra, out_channels, kernel_size, stride, padding)

    def forward(self, x: torch.Tensor, heatmap: torch.Tensor | None = None) -> torch.Tensor:
        coords = _coord_channels(x.shape[0], x.shape[-1], x, self.with_r)
        parts = [x, coords]
        if self.with_boundary:
            if heatmap is None:
                raise ValueError("this CoordConv expects the previous stack's heatmaps")
            boundary = heatmap[:, -1:].clamp(0.0, 1.0) > 0.05
            parts.append(torch.where(boundary, coords[:, :2], torch.zeros_like(coords[:, :2])))
        return self.conv(torch.cat(parts, dim=1))


class ConvBlock(nn.Module):
    """Pre-activation block whose three 3×3 convs (½, ¼, ¼ of the width) are concatenated."""

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        half, quarter = cout // 2, cout // 4
        self.bn1 = nn.BatchNorm2d(cin)
        self.conv1 = nn.Conv2d(cin, half, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(half)
        self.conv2 = nn.Conv2d(half, quarter, 3, 1, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(quarter)
        self.conv3 = nn.Conv2d(quarter, quarter, 3, 1, 1, bias=False)
        self.downsample = (
            nn.Sequential(nn.BatchNorm2d(cin), nn.ReLU(True), nn.Conv2d(cin, cout, 1, bias=False))
            if cin != cout
            else None
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out1 = self.conv1(F.relu(self.bn1(x)))
        out2 = self.conv2(F.relu(self.bn2(out1)))
        out3 = self.conv3(F.relu(self.bn3(out2)))
        residual = x if self.downsample is None else self.downsample(x)
        return torch.cat((out1, out2, out3), dim=1) + residual


class HourGlass(nn.Module):
    """Depth-4 hourglass of ConvBlocks (b1_k upper, b2_k/b3_k lower, b2_plus_1 at the bottom)."""

    def __init__(self, depth: int = 4, features: int = 256, first_one: bool = False) -> None:
        super().__init__()
        self.depth = depth
        self.coordconv = CoordConv(features, features, 1, with_r=True, with_boundary=not first_one)
        for level in range(depth, 0, -1):
            setattr(self, f"b1_{level}", ConvBlock(features, features))
            setattr(self, f"b2_{level}", ConvBlock(features, features))
        self.b2_plus_1 = ConvBlock(features, features)
        for level in range(1, depth + 1):
            setattr(self, f"b3_{level}", ConvBlock(features, features))

    def _level(self, level: int, x: torch.Tensor) -> torch.Tensor:
        upper = getattr(self, f"b1_{level}")(x)
        lower = getattr(self, f"b2_{level}")(F.avg_pool2d(x, 2, stride=2))
        lower = self._level(level - 1, lower) if level > 1 else self.b2_plus_1(lower)
        lower = getattr(self, f"b3_{level}")(lower)
        return upper + F.interpolate(lower, scale_factor=2.0, mode="nearest")

    def forward(self, x: torch.Tensor, heatmap: torch.Tensor | None) -> torch.Tensor:
        return self._level(self.depth, self.coordconv(x, heatmap))


class FAN(nn.Module):
    """4-stack FAN: input B×3×256×256 RGB in [0, 1] -> list of B×99×64×64 heatmaps (one per stack)."""

    def __init__(
        self, num_modules: int = 4, num_landmarks: int = NUM_LANDMARKS, end_relu: bool = True
    ) -> None:
        super().__init__()
        self.num_modules = num_modules
        self.end_relu = end_relu
        out = num_landmarks + 1  # + the boundary channel
        self.conv1 = CoordConv(3, 64, 7, stride=2, padding=3, with_r=True)
        self.bn1 = nn.BatchNorm2d(64)
        self.conv2 = ConvBlock(64, 128)
        self.conv3 = ConvBlock(128, 128)
        self.conv4 = ConvBlock(128, 256)
        for i in range(num_modules):
            setattr(self, f"m{i}", HourGlass(4, 256, first_one=i == 0))
            setattr(self, f"top_m_{i}", ConvBlock(256, 256))
            setattr(self, f"conv_last{i}", nn.Conv2d(256, 256, 1))
            setattr(self, f"bn_end{i}", nn.BatchNorm2d(256))
            setattr(self, f"l{i}", nn.Conv2d(256, out, 1))
            if i < num_modules - 1:
                setattr(self, f"bl{i}", nn.Conv2d(256, 256, 1))
                setattr(self, f"al{i}", nn.Conv2d(out, 256, 1))

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        x = F.relu(self.bn1(self.conv1(x)))
        x = F.avg_pool2d(self.conv2(x), 2, stride=2)
        previous = self.conv4(self.conv3(x))
        outputs: list[torch.Tensor] = []
        heatmaps: torch.Tensor | None = None
        for i in range(self.num_modules):
            hg = getattr(self, f"m{i}")(previous, heatmaps)
            ll = getattr(self, f"top_m_{i}")(hg)
            ll = F.relu(getattr(self, f"bn_end{i}")(getattr(self, f"conv_last{i}")(ll)))
            heatmaps = getattr(self, f"l{i}")(ll)
            if self.end_relu:
                heatmaps = F.relu(heatmaps)
            outputs.append(heatmaps)
            if i < self.num_modules - 1:
                previous = previous + getattr(self, f"bl{i}")(ll) + getattr(self, f"al{i}")(heatmaps)
        return outputs

    def landmark_heatmaps(self, x: torch.Tensor) -> torch.Tensor:
        """The last stack's 98 landmark heatmaps (boundary channel dropped), B×98×64×64."""
        return self(x)[-1][:, :-1]

    def eye_heatmaps(self, x: torch.Tensor) -> torch.Tensor:
        """GHOST's pupil heatmaps (WFLW 96 and 97), B×2×64×64, from x in [-1, 1] at 256×256."""
        last = self((x + 1.0) * 0.5)[-1]
        return last[:, list(EYE_CHANNELS)]


def load_fan(path: str | Path) -> FAN:
    """`WFLW_4HG.pth`, strictly (a `module.` prefix or a state_dict wrapper is unwrapped), in eval mode."""
    return load_into(FAN(), read_state_dict(path), str(path)).eval()


def random_fan_state_dict(seed: int = 0) -> StateDict:
    """Seeded random FAN weights in the official layout (tests and offline demos of the eye loss)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        net = FAN()
        for module in net.modules():
            if isinstance(module, nn.BatchNorm2d):
                module.running_mean.normal_(0.0, 0.1)
                module.running_var.uniform_(0.5, 1.5)
        return {k: v.clone() for k, v in net.state_dict().items()}
