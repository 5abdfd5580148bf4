"""Fixtures for the training tests: a small identity-per-folder dataset and a tiny identity encoder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch

from ghost_core.nets.iresnet import IResNet
from tests.conftest import SHARED

ALIGNED = SHARED / "assets" / "faces" / "aligned224"


def build_face_folder(root: Path, identities: int = 3) -> Path:
    """root/id<i>/{source<i>,target<i>}.png from the shared GHOST example crops (two photos each)."""
    if not ALIGNED.is_dir():
        pytest.fail(f"{ALIGNED} is missing: the tests need ../shared/assets beside the checkout")
    for i in range(1, identities + 1):
        folder = root / f"id{i}"
        folder.mkdir(parents=True, exist_ok=True)
        for kind in ("source", "target"):
            shutil.copyfile(ALIGNED / f"{kind}{i}.png", folder / f"{kind}{i}.png")
    return root


def tiny_identity(seed: int = 7) -> IResNet:
    """A one-block-per-stage IResNet: the trainer accepts any frozen 112→D encoder, and the real
    iresnet100 would make these CPU tests minutes long (the CLI tests and the benchmark use it)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return IResNet((1, 1, 1, 1))


@pytest.fixture(scope="module")
def face_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_face_folder(tmp_path_factory.mktemp("faces"))
