"""One model home with GHOST's 1-block generator and ArcFace installed from deterministic random weights.

Each installed pair (and its cached ONNX export) is about 1.5 GB; the tests that only need *some*
installed GHOST weights share this one home for the whole session instead of building their own,
so the suite's temporary disk stays small enough for a CI machine (and skips repeated exports).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def random_ghost_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A GHOSTSWAP_HOME holding `ghost_unet_1block` and `arcface_backbone` (seed 0); point the env at it."""
    from ghost_core.models_store import install
    from ghost_core.nets.random_weights import save_random_checkpoint

    root = tmp_path_factory.mktemp("random_ghost")
    home, weights = root / "home", root / "weights"
    save_random_checkpoint("generator", weights / "G_unet_1block.pth", num_blocks=1)
    save_random_checkpoint("arcface", weights / "backbone.pth")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GHOSTSWAP_HOME", str(home))
        install("ghost_unet_1block", from_dir=weights)
        install("arcface_backbone", from_dir=weights)
    shutil.rmtree(weights)  # install copied them into the home
    return home
