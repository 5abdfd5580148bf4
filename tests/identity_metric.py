"""The test identity metric: the package's independent recogniser with the MobileFaceNet test model.

MobileFaceNet 128-d (../shared/assets/models/mobilefacenet_128d.onnx, tests only) embeds 112×112
ArcFace-aligned faces; ghost_core.evaluation.recogniser does the alignment and normalisation.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

from ghost_core.evaluation.recogniser import Recogniser

MODEL = (
    Path(__file__).resolve().parents[1].parent / "shared" / "assets" / "models" / "mobilefacenet_128d.onnx"
)


@functools.lru_cache(maxsize=1)
def recogniser() -> Recogniser:
    if not MODEL.is_file():
        raise FileNotFoundError(
            f"{MODEL}: identity test model missing; CI needs ../shared beside the checkout"
        )
    return Recogniser(MODEL, threads=2)


def embed(crops: np.ndarray) -> np.ndarray:
    """N×224×224×3 GHOST crops (model space) → N×128 unit-length embeddings."""
    return recogniser().embed(crops)


def cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise cosine similarity of two crop batches (or single crops)."""
    return np.sum(embed(a) * embed(b), axis=1)
