"""GHOST's loss formulas on hand-checkable inputs."""

from __future__ import annotations

import pytest
import torch

from ghost_core.train import losses


def test_generator_hinge_is_relu_one_minus_logits_summed_over_scales() -> None:
    maps = [torch.full((2, 1, 3, 3), 0.25), torch.full((2, 1, 2, 2), 2.0)]
    # scale 1: relu(1 - 0.25) = 0.75; scale 2: relu(1 - 2) = 0; weights 1 with GHOST's 1e-4 epsilon
    assert float(losses.generator_adversarial(maps)) == pytest.approx(0.75 * 2 / (2 + 1e-4))


def test_discriminator_hinge_halves_real_plus_fake() -> None:
    real = [torch.full((1, 1, 2, 2), -1.0)]  # relu(1 - (-1)) = 2
    fake = [torch.full((1, 1, 2, 2), 0.5)]  # relu(1 + 0.5) = 1.5
    expected = 0.5 * (2.0 / (1 + 1e-4) + 1.5 / (1 + 1e-4))
    assert float(losses.discriminator_hinge(real, fake)) == pytest.approx(expected)


def test_per_sample_weights_mask_samples() -> None:
    maps = [torch.tensor([0.0, 5.0]).view(2, 1, 1, 1)]
    masked = losses.generator_adversarial(maps, torch.tensor([1.0, 0.0]))
    assert float(masked) == pytest.approx(1.0 / (1 + 1e-4))


def test_identity_attribute_and_reconstruction() -> None:
    e = torch.randn(3, 8)
    assert float(losses.identity_loss(e, 2 * e)) == pytest.approx(0.0, abs=1e-6)
    assert float(losses.identity_loss(e, -e)) == pytest.approx(2.0)
    a = [torch.zeros(2, 4, 2, 2), torch.zeros(2, 1, 4, 4)]
    b = [torch.ones(2, 4, 2, 2), torch.full((2, 1, 4, 4), 2.0)]
    assert float(losses.attribute_loss(a, b)) == pytest.approx(0.5 * (1.0 + 4.0))
    y, xt = torch.zeros(2, 3, 4, 4), torch.ones(2, 3, 4, 4)
    xt[1] = 3.0
    same = torch.tensor([0.0, 1.0])  # only the second pair counts: ½·(3)² = 4.5
    assert float(losses.reconstruction_loss(y, xt, same)) == pytest.approx(4.5 / (1 + 1e-6))
    assert float(losses.reconstruction_loss(y, xt, torch.zeros(2))) == 0.0


def test_eye_loss_sums_both_pupils() -> None:
    t = torch.zeros(2, 2, 4, 4)
    s = torch.zeros(2, 2, 4, 4)
    s[:, 0] = 1.0
    s[:, 1] = 2.0
    assert float(losses.eye_loss(t, s)) == pytest.approx(1.0 + 4.0)


def test_ghost_default_weights() -> None:
    assert losses.LossWeights().as_dict() == {"adv": 1.0, "attr": 10.0, "id": 20.0, "rec": 10.0, "eyes": 0.0}
