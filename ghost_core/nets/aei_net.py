"""AEI-Net as released by GHOST: U-Net multi-level attribute encoder + AAD generator.

Module and attribute names follow the official checkpoints (`G_unet_{1block,2blocks,3blocks}.pth`)
so their state dicts load strictly; see GHOST_REFERENCE.md §1.3-1.4 and §2.2.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

C_ID = 512
# Down-path widths of the attribute encoder (conv1..conv7) and the up-path outputs (deconv1..deconv6).
_DOWN = (3, 32, 64, 128, 256, 512, 1024, 1024)
_UP = (1024, 512, 256, 128, 64, 32)
# Generator blocks AADBlk1..8: (cin, cout, channels of the attribute map they consume).
_BLOCKS = (
    (1024, 1024, 1024),
    (1024, 1024, 2048),
    (1024, 1024, 1024),
    (1024, 512, 512),
    (512, 256, 256),
    (256, 128, 128),
    (128, 64, 64),
    (64, 3, 64),
)


def _upsample2x(x: torch.Tensor) -> torch.Tensor:
    # GHOST upsamples with align_corners=True everywhere; the default (False) gives different pixels.
    return F.interpolate(x, scale_factor=2.0, mode="bilinear", align_corners=True)


class _Deconv(nn.Module):
    """ConvTranspose 4x4/2 + BN + LeakyReLU(0.1), then concatenation [upsampled, skip]."""

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.deconv = nn.ConvTranspose2d(cin, cout, 4, 2, 1, bias=False)
        self.bn = nn.BatchNorm2d(cout)

    def forward(self, x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        x = F.leaky_relu(self.bn(self.deconv(x)), 0.1)
        return torch.cat((x, skip), dim=1)


class MLAttrEncoder(nn.Module):
    """U-Net encoder giving the 8 attribute maps z_attr1..z_attr8 (1024@2 ... 64@256)."""

    def __init__(self) -> None:
        super().__init__()
        for i in range(7):
            cin, cout = _DOWN[i], _DOWN[i + 1]
            conv = nn.Sequential(nn.Conv2d(cin, cout, 4, 2, 1, bias=False), nn.BatchNorm2d(cout))
            setattr(self, f"conv{i + 1}", conv)
        cin = 1024
        skips = (1024, 512, 256, 128, 64, 32)
        for i, (cout, skip) in enumerate(zip(_UP, skips, strict=True)):
            setattr(self, f"deconv{i + 1}", _Deconv(cin, cout))
            cin = cout + skip

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        feats = []
        for i in range(7):
            x = F.leaky_relu(getattr(self, f"conv{i + 1}")(x), 0.1)
            feats.append(x)
        attrs = [feats[6]]
        h = feats[6]
        for i in range(6):
            h = getattr(self, f"deconv{i + 1}")(h, feats[5 - i])
            attrs.append(h)
        attrs.append(_upsample2x(h))
        return attrs


class AADLayer(nn.Module):
    """Adaptive attentional denormalisation: mixes attribute- and identity-modulated activations."""

    def __init__(self, c_x: int, c_attr: int, c_id: int = C_ID) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(c_attr, c_x, 1)
        self.conv2 = nn.Conv2d(c_attr, c_x, 1)
        self.fc1 = nn.Linear(c_id, c_x)
        self.fc2 = nn.Linear(c_id, c_x)
        self.conv_h = nn.Conv2d(c_x, 1, 1)
        self.c_x = c_x

    def forward(self, h: torch.Tensor, z_attr: torch.Tensor, z_id: torch.Tensor) -> torch.Tensor:
        h = F.instance_norm(h, eps=1e-5)
        a = self.conv1(z_attr) * h + self.conv2(z_attr)
        gamma_id = self.fc1(z_id).view(-1, self.c_x, 1, 1)
        beta_id = self.fc2(z_id).view(-1, self.c_x, 1, 1)
        i = gamma_id * h + beta_id
        m = torch.sigmoid(self.conv_h(h))
        return (1 - m) * a + m * i


def _aad_unit(cin: int, cout: int, c_attr: int) -> list[nn.Module]:
    # [AADLayer, ReLU, Conv3x3]: the ReLU keeps the official Sequential indices (3i, 3i+1, 3i+2).
    return [AADLayer(cin, c_attr), nn.ReLU(), nn.Conv2d(cin, cout, 3, 1, 1, bias=False)]


class AADResBlk(nn.Module):
    """num_blocks AAD units on the main path; a learned AAD shortcut when the width changes."""

    def __init__(self, cin: int, cout: int, c_attr: int, num_blocks: int) -> None:
        super().__init__()
        units: list[nn.Module] = []
        for i in range(num_blocks):
            units += _aad_unit(cin, cout if i == num_blocks - 1 else cin, c_attr)
        self.add_blocks = nn.ModuleList(units)
        self.last_add_block = nn.ModuleList(_aad_unit(cin, cout, c_attr)) if cin != cout else None

    @staticmethod
    def _run(units: nn.ModuleList, h: torch.Tensor, z_attr: torch.Tensor, z_id: torch.Tensor) -> torch.Tensor:
        for k in range(0, len(units), 3):
            h = units[k + 2](F.relu(units[k](h, z_attr, z_id)))
        return h

    def forward(self, h: torch.Tensor, z_attr: torch.Tensor, z_id: torch.Tensor) -> torch.Tensor:
        out = self._run(self.add_blocks, h, z_attr, z_id)
        shortcut = h if self.last_add_block is None else self._run(self.last_add_block, h, z_attr, z_id)
        return out + shortcut


class AADGenerator(nn.Module):
    """z_id -> 1024@2 seed, then 8 AAD residual blocks with x2 bilinear upsampling between them."""

    def __init__(self, num_blocks: int = 2, c_id: int = C_ID) -> None:
        super().__init__()
        self.up1 = nn.ConvTranspose2d(c_id, 1024, kernel_size=2, stride=1, padding=0)
        for k, (cin, cout, c_attr) in enumerate(_BLOCKS, start=1):
            setattr(self, f"AADBlk{k}", AADResBlk(cin, cout, c_attr, num_blocks))

    def forward(self, z_attr: list[torch.Tensor], z_id: torch.Tensor) -> torch.Tensor:
        h = self.up1(z_id.reshape(z_id.shape[0], -1, 1, 1))
        for k in range(1, 8):
            h = _upsample2x(getattr(self, f"AADBlk{k}")(h, z_attr[k - 1], z_id))
        return torch.tanh(self.AADBlk8(h, z_attr[7], z_id))


class AEINet(nn.Module):
    """GHOST's face-swap generator.

    forward(target, z_id): target B×3×256×256 RGB in [-1, 1], z_id B×512 raw (not normalised)
    ArcFace embedding -> (Y B×3×256×256 in [-1, 1], the 8 attribute maps of the target).
    """

    def __init__(self, num_blocks: int = 2, c_id: int = C_ID) -> None:
        super().__init__()
        if num_blocks not in (1, 2, 3):
            raise ValueError(f"num_blocks must be 1, 2 or 3 (got {num_blocks})")
        self.num_blocks = num_blocks
        self.encoder = MLAttrEncoder()
        self.generator = AADGenerator(num_blocks, c_id)

    def forward(self, target: torch.Tensor, z_id: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        attrs = self.encoder(target)
        return self.generator(attrs, z_id), attrs

    def attributes(self, x: torch.Tensor) -> list[torch.Tensor]:
        """The 8 attribute maps only (the attribute loss compares these for Xt and Y)."""
        return self.encoder(x)


class SwapOnly(nn.Module):
    """Wrapper whose single output is Y: what inference and the ONNX export need."""

    def __init__(self, net: AEINet) -> None:
        super().__init__()
        self.net = net

    def forward(self, target: torch.Tensor, z_id: torch.Tensor) -> torch.Tensor:
        return self.net.generator(self.net.encoder(target), z_id)


def weight_init(module: nn.Module) -> None:
    """GHOST's training initialisation: Linear N(0, 0.001), convs Xavier-normal, BN default."""
    if isinstance(module, nn.Linear):
        nn.init.normal_(module.weight, 0.0, 0.001)
        nn.init.zeros_(module.bias)
    elif isinstance(module, nn.Conv2d | nn.ConvTranspose2d):
        nn.init.xavier_normal_(module.weight)
