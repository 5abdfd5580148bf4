"""Colour jitter with torchvision's ColorJitter semantics, written in plain torch (no torchvision).

GHOST jitters every training image with ColorJitter(0.2, 0.2, 0.2, 0.01): brightness, contrast,
saturation and hue factors drawn uniformly, applied in a random order, clamped to [0, 1] after
each step. Float in, float out: nothing is quantised.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

_LUMA = (0.299, 0.587, 0.114)


def _gray(img: torch.Tensor) -> torch.Tensor:
    r, g, b = img.unbind(dim=-3)
    return (_LUMA[0] * r + _LUMA[1] * g + _LUMA[2] * b).unsqueeze(-3)


def _blend(img: torch.Tensor, other: torch.Tensor, factor: float) -> torch.Tensor:
    return (factor * img + (1.0 - factor) * other).clamp(0.0, 1.0)


def adjust_brightness(img: torch.Tensor, factor: float) -> torch.Tensor:
    return _blend(img, torch.zeros_like(img), factor)


def adjust_contrast(img: torch.Tensor, factor: float) -> torch.Tensor:
    mean = _gray(img).mean(dim=(-3, -2, -1), keepdim=True)
    return _blend(img, mean, factor)


def adjust_saturation(img: torch.Tensor, factor: float) -> torch.Tensor:
    return _blend(img, _gray(img), factor)


def _rgb_to_hsv(img: torch.Tensor) -> torch.Tensor:
    r, g, b = img.unbind(dim=-3)
    maxc, _ = img.max(dim=-3)
    minc, _ = img.min(dim=-3)
    delta = maxc - minc
    safe_max = torch.where(maxc > 0, maxc, torch.ones_like(maxc))
    sat = delta / safe_max
    safe_delta = torch.where(delta > 0, delta, torch.ones_like(delta))
    rc, gc, bc = (maxc - r) / safe_delta, (maxc - g) / safe_delta, (maxc - b) / safe_delta
    hue = torch.where(maxc == r, bc - gc, torch.where(maxc == g, 2.0 + rc - bc, 4.0 + gc - rc))
    hue = torch.where(delta > 0, (hue / 6.0) % 1.0, torch.zeros_like(hue))
    return torch.stack((hue, sat, maxc), dim=-3)


def _hsv_to_rgb(img: torch.Tensor) -> torch.Tensor:
    h, s, v = img.unbind(dim=-3)
    sector = torch.floor(h * 6.0)
    f = h * 6.0 - sector
    sector = sector.to(torch.int64) % 6
    p, q, t = v * (1.0 - s), v * (1.0 - s * f), v * (1.0 - s * (1.0 - f))
    table = (
        (v, t, p),
        (q, v, p),
        (p, v, t),
        (p, q, v),
        (t, p, v),
        (v, p, q),
    )
    channels = []
    for c in range(3):
        out = torch.zeros_like(v)
        for k, row in enumerate(table):
            out = torch.where(sector == k, row[c], out)
        channels.append(out)
    return torch.stack(channels, dim=-3)


def adjust_hue(img: torch.Tensor, shift: float) -> torch.Tensor:
    """Rotate hue by `shift` turns (|shift| <= 0.5)."""
    hsv = _rgb_to_hsv(img.clamp(0.0, 1.0))
    hsv = torch.stack(((hsv[..., 0, :, :] + shift) % 1.0, hsv[..., 1, :, :], hsv[..., 2, :, :]), dim=-3)
    return _hsv_to_rgb(hsv)


@dataclass(frozen=True)
class ColorJitter:
    """Random brightness/contrast/saturation factors in [1-x, 1+x] and hue shift in [-h, h]."""

    brightness: float = 0.2
    contrast: float = 0.2
    saturation: float = 0.2
    hue: float = 0.01

    def __call__(self, img: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """img 3×H×W (or B×3×H×W, one draw for all) in [0, 1]; draws come only from `generator`."""

        def uniform(lo: float, hi: float) -> float:
            return float(lo + (hi - lo) * torch.rand((), generator=generator))

        order = torch.randperm(4, generator=generator).tolist()
        factors = (
            uniform(1 - self.brightness, 1 + self.brightness),
            uniform(1 - self.contrast, 1 + self.contrast),
            uniform(1 - self.saturation, 1 + self.saturation),
            uniform(-self.hue, self.hue),
        )
        ops = (adjust_brightness, adjust_contrast, adjust_saturation, adjust_hue)
        img = img.clamp(0.0, 1.0)
        for index in order:
            img = ops[index](img, factors[index])
        return img
