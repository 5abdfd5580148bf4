"""Folder scanning, GHOST pairing, float reading, jitter and step-addressed batches."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import OpenImageIO as oiio
import pytest
import torch

from ghost_core.errors import InputError
from ghost_core.train.data import FaceFolder, PairDataset, StepBatches, batch_loader, load_crop
from ghost_core.train.jitter import ColorJitter, adjust_hue, adjust_saturation


def test_identity_folders_and_flat_images(face_folder: Path, tmp_path: Path) -> None:
    folder = FaceFolder.scan(face_folder)
    assert len(folder) == 6 and folder.num_identities == 3
    assert [len(m) for m in folder.members] == [2, 2, 2]
    flat = tmp_path / "flat"
    flat.mkdir()
    for p in sorted(face_folder.glob("*/*.png"))[:3]:
        shutil.copyfile(p, flat / p.name)
    (flat / "notes.txt").write_text("ignored")
    scanned = FaceFolder.scan(flat)
    assert len(scanned) == 3 and scanned.num_identities == 3


def test_bad_paths_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        FaceFolder.scan(tmp_path / "missing")
    (tmp_path / "empty" / "person").mkdir(parents=True)
    with pytest.raises(InputError, match="no training images"):
        FaceFolder.scan(tmp_path / "empty")


def test_sixteen_bit_crops_keep_their_precision(tmp_path: Path) -> None:
    ramp = (np.arange(224 * 224 * 3, dtype=np.float64) % 65536).reshape(224, 224, 3) / 65535.0
    path = tmp_path / "deep.png"
    out = oiio.ImageOutput.create(str(path))
    assert out.open(str(path), oiio.ImageSpec(224, 224, 3, oiio.UINT16))
    out.write_image(ramp.astype(np.float32))
    out.close()
    crop = load_crop(path)
    assert crop.dtype == torch.float32 and crop.shape == (3, 224, 224)
    assert torch.unique(crop).numel() > 10_000  # 8 bits would leave at most 256 levels
    assert np.allclose(crop.permute(1, 2, 0).numpy(), ramp, atol=1e-6)


def test_pairs_follow_the_same_person_rule(face_folder: Path) -> None:
    folder = FaceFolder.scan(face_folder)
    gen = torch.Generator().manual_seed(0)
    same = PairDataset(folder, same_prob=1.0)
    for index in range(len(folder)):
        target, is_same = same.pick_target(index, gen)
        assert is_same and target != index and folder.identity[target] == folder.identity[index]
    photo = PairDataset(folder, same_prob=1.0, same_identity=False)
    assert photo.pick_target(2, gen) == (2, True)
    other = PairDataset(folder, same_prob=0.0)
    for _ in range(30):
        for index in range(len(folder)):
            target, is_same = other.pick_target(index, gen)
            assert not is_same and folder.identity[target] != folder.identity[index]


def test_items_are_deterministic_and_independently_jittered(face_folder: Path) -> None:
    dataset = PairDataset(FaceFolder.scan(face_folder), same_prob=1.0, same_identity=False)
    a, b, c = dataset[(0, 11)], dataset[(0, 11)], dataset[(0, 12)]
    assert a.keys() == {"xs_orig", "xs", "xt", "same"}
    assert a["xs_orig"].shape == (3, 224, 224) and a["xs"].shape == a["xt"].shape == (3, 256, 256)
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not torch.equal(a["xs"], c["xs"])
    assert not torch.equal(a["xs"], a["xt"])  # same photo, separate jitter draws
    assert float(a["same"]) == 1.0
    for k in ("xs_orig", "xs", "xt"):
        assert float(a[k].min()) >= -1.0 and float(a[k].max()) <= 1.0


def test_batches_depend_only_on_seed_and_step(face_folder: Path) -> None:
    assert StepBatches(6, 4, seed=5, start=0, end=10).keys(7) == StepBatches(6, 4, 5, 7, 10).keys(7)
    assert StepBatches(6, 4, 5, 0, 10).keys(7) != StepBatches(6, 4, 6, 0, 10).keys(7)
    epoch = [k[0] for step in range(3) for k in StepBatches(6, 2, 5, 0, 3).keys(step)]
    assert sorted(epoch) == list(range(6))  # one epoch visits every image once
    dataset = PairDataset(FaceFolder.scan(face_folder))
    full = list(batch_loader(dataset, 2, seed=1, start=0, end=3))
    resumed = list(batch_loader(dataset, 2, seed=1, start=2, end=3))
    assert all(torch.equal(full[2][k], resumed[0][k]) for k in full[2])


def test_jitter_semantics() -> None:
    img = torch.rand(3, 8, 8)
    assert torch.allclose(adjust_hue(img, 0.0), img, atol=1e-5)
    gray = adjust_saturation(img, 0.0)
    assert torch.allclose(gray[0], gray[1]) and torch.allclose(gray[1], gray[2])
    shifted = adjust_hue(torch.tensor([1.0, 0.0, 0.0]).view(3, 1, 1), 1 / 3)
    assert torch.allclose(shifted.flatten(), torch.tensor([0.0, 1.0, 0.0]), atol=1e-5)  # red -> green
    jitter = ColorJitter()
    out1 = jitter(img, torch.Generator().manual_seed(3))
    out2 = jitter(img, torch.Generator().manual_seed(3))
    assert torch.equal(out1, out2) and not torch.equal(out1, img)
    assert float((out1 - img).abs().max()) < 0.5  # ±20 % factors and ±0.01 hue stay mild
