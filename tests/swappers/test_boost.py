"""Pixel boost: phases and interleave are exact inverses, the ghost swapper's detail swap
reassembles the 512 crop, and only faces larger than the generator get it."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ghost_core.faces.align import CROP_SIZE, GENERATOR_SIZE, estimate_norm, resize_linear, templates
from ghost_core.runtime.backends import TorchBackend
from ghost_core.swappers.boost import BOOST_SIZE, interleave, phase_tiles, plate_size, wants_boost
from ghost_core.swappers.ghost import GhostSwapper


class _PassThrough(nn.Module):
    """A generator stand-in that returns its target: the swap is then the crop it was given."""

    def __init__(self) -> None:
        super().__init__()
        self.image = nn.Identity()

    def forward(self, target: torch.Tensor, z_id: torch.Tensor) -> torch.Tensor:
        return self.image(target) + 0.0 * z_id.sum(dim=1).view(-1, 1, 1, 1)


def _swapper() -> GhostSwapper:
    backend = TorchBackend("generator", _PassThrough(), device=torch.device("cpu"), precision="fp32")
    return GhostSwapper(backend, arcface=None)  # type: ignore[arg-type]  # prepare() is not used here


def test_phases_sample_every_second_pixel_and_interleave_inverts_them() -> None:
    rng = np.random.default_rng(3)
    batch = rng.random((2, 8, 8, 3), dtype=np.float32)
    tiles = phase_tiles(batch)
    assert tiles.shape == (8, 4, 4, 3)
    for n in range(2):
        for dy in range(2):
            for dx in range(2):
                assert np.array_equal(tiles[n * 4 + dy * 2 + dx], batch[n, dy::2, dx::2])
    assert np.array_equal(interleave(tiles), batch)


def test_detail_swap_through_a_pass_through_generator_rebuilds_the_512_crop() -> None:
    rng = np.random.default_rng(5)
    crops = rng.random((2, BOOST_SIZE, BOOST_SIZE, 3), dtype=np.float32)
    swapper = _swapper()
    seen_by_net: list[tuple[int, ...]] = []
    run = swapper.generator._run
    swapper.generator._run = lambda batch: (seen_by_net.append(batch[0].shape), run(batch))[1]  # type: ignore
    out = swapper.swap_detail(crops, np.ones(512, np.float32))
    assert out.shape == crops.shape == (2, 512, 512, 3)
    assert all(shape[1:] == (3, GENERATOR_SIZE, GENERATOR_SIZE) for shape in seen_by_net)
    assert sum(shape[0] for shape in seen_by_net) == 8  # four phases per face
    np.testing.assert_allclose(out, crops, atol=1e-6)  # interleaving puts every phase pixel back


def test_phases_are_swapped_separately_and_land_on_their_own_pixels() -> None:
    crops = np.zeros((1, BOOST_SIZE, BOOST_SIZE, 3), np.float32)
    crops[0, 1::2, 0::2] = 1.0  # only phase (1, 0) is white
    out = _swapper().swap_detail(crops, np.ones(512, np.float32))
    assert np.array_equal(out[0, 1::2, 0::2], crops[0, 1::2, 0::2])
    assert out[0, 0::2].max() == 0.0 and out[0, :, 1::2].max() == 0.0


def test_plain_swap_still_runs_one_256_pass_per_face() -> None:
    crops = np.random.default_rng(7).random((3, CROP_SIZE, CROP_SIZE, 3), dtype=np.float32)
    out = _swapper().swap(crops, np.ones(512, np.float32))
    expected = np.stack([resize_linear(resize_linear(c, GENERATOR_SIZE), CROP_SIZE) for c in crops])
    np.testing.assert_allclose(out, expected.clip(0, 1), atol=1e-6)


def test_only_faces_larger_than_the_generator_are_boosted() -> None:
    template = templates(CROP_SIZE)[2]  # frontal, at 224
    for scale, boosted in ((1.0, False), (1.1, False), (1.2, True), (3.0, True)):
        alignment = estimate_norm(template * scale + 40.0)
        assert abs(plate_size(alignment) - CROP_SIZE * scale) < 1e-6
        assert wants_boost(alignment) is boosted
