"""GHOST's training losses (GHOST_REFERENCE.md §4.4), computed in fp32 whatever autocast did.

B is the batch. The adversarial terms keep GHOST's per-sample weighting (`diff_person`, all ones
unless a caller masks samples) and its epsilons, so values match the original's logs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F

_ADV_EPS = 1e-4
_REC_EPS = 1e-6


@dataclass(frozen=True)
class LossWeights:
    """GHOST's defaults: adv 1, attr 10, id 20, rec 10, eyes 0 (≈800 when the eye loss is on)."""

    adv: float = 1.0
    attr: float = 10.0
    id: float = 20.0
    rec: float = 10.0
    eyes: float = 0.0

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def _weighted_hinge(maps: Sequence[torch.Tensor], sign: float, weight: torch.Tensor) -> torch.Tensor:
    """Σ over scales of the weighted batch mean of mean_CHW ReLU(1 + sign·D)."""
    total = maps[0].new_zeros((), dtype=torch.float32)
    for logits in maps:
        per_sample = F.relu(1.0 + sign * logits.float()).mean(dim=(1, 2, 3))
        total = total + (per_sample * weight).sum() / (weight.sum() + _ADV_EPS)
    return total


def generator_adversarial(
    fake_maps: Sequence[torch.Tensor], weight: torch.Tensor | None = None
) -> torch.Tensor:
    """Hinge on the generator side too: Σ_s mean ReLU(1 − D_s(Y)) (not −D(Y))."""
    weight = _ones_like_batch(fake_maps[0]) if weight is None else weight
    return _weighted_hinge(fake_maps, -1.0, weight)


def discriminator_hinge(
    real_maps: Sequence[torch.Tensor], fake_maps: Sequence[torch.Tensor], weight: torch.Tensor | None = None
) -> torch.Tensor:
    """½·(Σ_s mean ReLU(1 − D_s(Xs)) + Σ_s mean ReLU(1 + D_s(Y)))."""
    weight = _ones_like_batch(real_maps[0]) if weight is None else weight
    return 0.5 * (_weighted_hinge(real_maps, -1.0, weight) + _weighted_hinge(fake_maps, 1.0, weight))


def identity_loss(source_embed: torch.Tensor, swapped_embed: torch.Tensor) -> torch.Tensor:
    """mean_b (1 − cos(embed_b, ZY_b))."""
    return (1.0 - F.cosine_similarity(source_embed.float(), swapped_embed.float(), dim=1)).mean()


def attribute_loss(
    target_attrs: Sequence[torch.Tensor], swapped_attrs: Sequence[torch.Tensor]
) -> torch.Tensor:
    """½·Σ over the attribute maps of mean (z_k(Xt) − z_k(Y))²."""
    total = target_attrs[0].new_zeros((), dtype=torch.float32)
    for a, b in zip(target_attrs, swapped_attrs, strict=True):
        total = total + F.mse_loss(a.float(), b.float())
    return 0.5 * total


def reconstruction_loss(swapped: torch.Tensor, target: torch.Tensor, same: torch.Tensor) -> torch.Tensor:
    """Σ_b same_b·½·mean_CHW (Y_b − Xt_b)² / (Σ_b same_b + 1e-6): only same-identity pairs count."""
    per_sample = 0.5 * (swapped.float() - target.float()).square().mean(dim=(1, 2, 3))
    same = same.float()
    return (per_sample * same).sum() / (same.sum() + _REC_EPS)


def eye_loss(target_heatmaps: torch.Tensor, swapped_heatmaps: torch.Tensor) -> torch.Tensor:
    """MSE of the two pupil heatmaps (B×2×64×64), summed over the two eyes."""
    t, s = target_heatmaps.float(), swapped_heatmaps.float()
    return F.mse_loss(s[:, 0], t[:, 0]) + F.mse_loss(s[:, 1], t[:, 1])


def _ones_like_batch(logits: torch.Tensor) -> torch.Tensor:
    return torch.ones(logits.shape[0], device=logits.device, dtype=torch.float32)
