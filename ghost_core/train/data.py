"""Training pairs the way GHOST's `FaceEmbedVGG2` builds them (GHOST_REFERENCE.md §4.2).

Layout: `root/<identity>/*.png|jpg` (VGGFace2 after `preprocess_vgg.py`: 224 aligned crops);
images lying directly in `root` are each their own identity. Crops are read as float (8- or
16-bit, never re-quantised). Every random choice of an item (the pair, the three jitters) comes
from a generator seeded by (seed, step, slot), so batch k is the same on every run and after a
resume, whatever the number of loader workers.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

from ghost_core.errors import InputError
from ghost_core.io.source_image import read_source_image
from ghost_core.train.jitter import ColorJitter

EXTENSIONS = (".jpg", ".jpeg", ".png", ".tif", ".tiff")
ARCFACE_SIZE = 224
GENERATOR_SIZE = 256
_MIX = 0x9E3779B97F4A7C15  # spreads (seed, step, slot) over the 63-bit seed space


def _images_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in EXTENSIONS)


@dataclass(frozen=True)
class FaceFolder:
    """Image paths and the identity of each, indexed once (sorted, so the order is reproducible)."""

    root: Path
    paths: tuple[Path, ...]
    identity: tuple[int, ...]
    members: tuple[tuple[int, ...], ...]  # image indices per identity

    @classmethod
    def scan(cls, root: str | Path) -> FaceFolder:
        root = Path(root)
        if not root.is_dir():
            raise InputError(
                f"{root}: training data folder not found; pass a folder of 224 aligned crops "
                "(root/<identity>/*.png, or a flat folder)"
            )
        groups = [[p] for p in _images_in(root)]
        groups += [
            imgs for sub in sorted(p for p in root.iterdir() if p.is_dir()) if (imgs := _images_in(sub))
        ]
        if not groups:
            raise InputError(
                f"{root}: no training images ({', '.join(EXTENSIONS)}) found; expected "
                "root/<identity>/*.png or a flat folder of 224 aligned crops"
            )
        paths: list[Path] = []
        identity: list[int] = []
        members: list[tuple[int, ...]] = []
        for ident, group in enumerate(groups):
            start = len(paths)
            paths += group
            identity += [ident] * len(group)
            members.append(tuple(range(start, len(paths))))
        return cls(root, tuple(paths), tuple(identity), tuple(members))

    def __len__(self) -> int:
        return len(self.paths)

    @property
    def num_identities(self) -> int:
        return len(self.members)


def item_seed(seed: int, step: int, slot: int) -> int:
    """A 63-bit seed for one item of one step (a cheap, well-mixed hash)."""
    value = (seed * _MIX + step * 0x100000001B3 + slot * 0xC2B2AE3D27D4EB4F) & ((1 << 64) - 1)
    value ^= value >> 31
    value = (value * 0xBF58476D1CE4E5B9) & ((1 << 64) - 1)
    return (value ^ (value >> 29)) & ((1 << 63) - 1)


def load_crop(path: Path) -> torch.Tensor:
    """3×224×224 float in [0, 1] (other sizes are resized to 224 with antialiasing, as GHOST's Resize)."""
    rgb = read_source_image(path)
    img = torch.from_numpy(np.ascontiguousarray(rgb.transpose(2, 0, 1))).clamp(0.0, 1.0)
    if img.shape[-2:] != (ARCFACE_SIZE, ARCFACE_SIZE):
        img = F.interpolate(img[None], (ARCFACE_SIZE, ARCFACE_SIZE), mode="bilinear", antialias=True)[0]
    return img


class PairDataset(Dataset):
    """Item key (image index, item seed) -> dict xs_orig 3×224, xs/xt 3×256 in [-1, 1], same (0/1).

    Pairing: with probability `same_prob` the target is another photo of the source's identity
    (the photo itself when it has only one; `same_identity=False` always uses the photo itself),
    else a photo of another identity (GHOST drew from the whole set, which could pick the same
    person and still call it "different").
    """

    def __init__(
        self,
        folder: FaceFolder,
        same_prob: float = 0.2,
        same_identity: bool = True,
        jitter: ColorJitter | None = None,
    ) -> None:
        self.folder = folder
        self.same_prob = same_prob
        self.same_identity = same_identity
        self.jitter = jitter if jitter is not None else ColorJitter()

    def __len__(self) -> int:
        return len(self.folder)

    def pick_target(self, index: int, gen: torch.Generator) -> tuple[int, bool]:
        folder = self.folder
        ident = folder.identity[index]
        if float(torch.rand((), generator=gen)) < self.same_prob:
            others = [i for i in folder.members[ident] if i != index]
            if not self.same_identity or not others:
                return index, True
            return others[int(torch.randint(len(others), (), generator=gen))], True
        if folder.num_identities < 2:
            return int(torch.randint(len(folder), (), generator=gen)), False
        pick = int(torch.randint(len(folder) - len(folder.members[ident]), (), generator=gen))
        first = folder.members[ident][0]
        return (pick if pick < first else pick + len(folder.members[ident])), False

    def __getitem__(self, key: tuple[int, int]) -> dict[str, torch.Tensor]:
        index, seed = key
        gen = torch.Generator().manual_seed(seed)
        target, same = self.pick_target(index, gen)
        source = load_crop(self.folder.paths[index])
        target_img = source if target == index else load_crop(self.folder.paths[target])
        xs_orig = self.jitter(source, gen)
        xs = _to_generator_size(self.jitter(source, gen))
        xt = _to_generator_size(self.jitter(target_img, gen))
        return {
            "xs_orig": xs_orig * 2.0 - 1.0,
            "xs": xs * 2.0 - 1.0,
            "xt": xt * 2.0 - 1.0,
            "same": torch.tensor(float(same)),
        }


def _to_generator_size(img: torch.Tensor) -> torch.Tensor:
    return F.interpolate(img[None], (GENERATOR_SIZE, GENERATOR_SIZE), mode="bilinear", align_corners=False)[0]


class StepBatches:
    """Batch keys for steps start..end-1: a stream of per-epoch permutations cut into batches.

    Batch k depends only on (seed, k), which is what makes `--resume` continue the same data.
    """

    def __init__(self, size: int, batch_size: int, seed: int, start: int, end: int) -> None:
        self.size, self.batch_size, self.seed = size, batch_size, seed
        self.start, self.end = start, end
        self._cached: tuple[int, list[int]] = (-1, [])

    def _permutation(self, epoch: int) -> list[int]:
        if self._cached[0] != epoch:
            gen = torch.Generator().manual_seed(item_seed(self.seed, epoch, -1))
            self._cached = (epoch, torch.randperm(self.size, generator=gen).tolist())
        return self._cached[1]

    def keys(self, step: int) -> list[tuple[int, int]]:
        keys = []
        for slot in range(self.batch_size):
            position = step * self.batch_size + slot
            epoch, offset = divmod(position, self.size)
            keys.append((self._permutation(epoch)[offset], item_seed(self.seed, step, slot)))
        return keys

    def __iter__(self) -> Iterator[list[tuple[int, int]]]:
        for step in range(self.start, self.end):
            yield self.keys(step)

    def __len__(self) -> int:
        return max(0, self.end - self.start)


def batch_loader(
    dataset: PairDataset, batch_size: int, seed: int, start: int, end: int, workers: int = 0
) -> DataLoader:
    """Batches for steps start..end-1, in order, optionally loaded by worker processes."""
    return DataLoader(
        dataset,
        batch_sampler=StepBatches(len(dataset), batch_size, seed, start, end),
        num_workers=workers,
        persistent_workers=False,
    )
