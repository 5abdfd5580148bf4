"""ArcFace identity embeddings for sources (into the generator) and for picking target faces.

GHOST feeds the *raw* 512-d iresnet100 output to the generator, computed on the 224 crop shrunk
to 112 with align_corners=True (GHOST_REFERENCE §3.2). Target matching uses the same RGB input
(the original fed BGR there, §8.7) and L2-normalised vectors.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ghost_core.faces.align import CROP_SIZE, half_align_corners
from ghost_core.runtime.backends import Backend


def to_network(crops: np.ndarray) -> np.ndarray:
    """N×H×W×3 model-space crops in 0..1 → N×3×H×W in [-1, 1], as GHOST normalises."""
    crops = np.clip(np.asarray(crops, np.float32), 0.0, 1.0)
    return np.ascontiguousarray(((crops - 0.5) / 0.5).transpose(0, 3, 1, 2))


def normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


class ArcFaceEncoder:
    """Raw and normalised ArcFace embeddings of GHOST-aligned 224 crops."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    @classmethod
    def open(cls, name: str | None = None, **options: object) -> ArcFaceEncoder:
        """The installed ArcFace (default `arcface_backbone`), via the runtime's backend choice."""
        from ghost_core.runtime.loader import open_model

        return cls(open_model(name, kind="arcface", **options))  # type: ignore[arg-type]

    def embed(self, crops: np.ndarray) -> np.ndarray:
        """N×224×224×3 crops → N×512 raw embeddings (what the generator expects)."""
        crops = np.asarray(crops, np.float32)
        if crops.ndim != 4 or crops.shape[1:] != (CROP_SIZE, CROP_SIZE, 3):
            raise ValueError(f"expected N×{CROP_SIZE}×{CROP_SIZE}×3 crops, got {crops.shape}")
        return np.asarray(self.backend(to_network(half_align_corners(crops))), np.float32)

    def identity(self, photos: Sequence[np.ndarray]) -> np.ndarray:
        """One person from several photos: the mean raw embedding (photos weigh equally)."""
        return self.embed(np.stack(photos)).mean(axis=0)
