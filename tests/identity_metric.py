"""An identity recogniser independent of GHOST's ArcFace, for tests: does a crop show the same person?

MobileFaceNet 128-d (../shared/assets/models/mobilefacenet_128d.onnx, tests only) embeds 112×112
ArcFace-aligned faces. GHOST crops are aligned to the frontal 224 template instead, so one fixed
similarity maps that template onto insightface's ArcFace 112 template.

Input normalisation, found empirically: RGB, (x − 0.5)/0.5. On 22 GHOST crops (obama ×3, biden ×2,
lacamoire ×2, elon ×2, zuckerberg ×2 and ten other people) it separates identities best: genuine
cosine ≥ 0.54, impostor ≤ 0.28 (BGR: 0.51 / 0.34; 0..1: 0.41 / 0.34; 0..255: no separation).
"""

from __future__ import annotations

import functools
from pathlib import Path

import cv2
import numpy as np
import onnxruntime as ort

from ghost_core.faces import align

MODEL = (
    Path(__file__).resolve().parents[1].parent / "shared" / "assets" / "models" / "mobilefacenet_128d.onnx"
)
ARCFACE_112 = np.array(
    [[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366], [41.5493, 92.3655], [70.7299, 92.2041]]
)
# The GHOST frontal template (224) fitted onto the ArcFace template (112).
GHOST_TO_ARCFACE = align.similarity(align.templates(align.CROP_SIZE)[2], ARCFACE_112)


@functools.lru_cache(maxsize=1)
def _session() -> ort.InferenceSession:
    if not MODEL.is_file():
        raise FileNotFoundError(
            f"{MODEL}: identity test model missing; CI needs ../shared beside the checkout"
        )
    options = ort.SessionOptions()
    options.intra_op_num_threads = 2
    return ort.InferenceSession(str(MODEL), options, providers=["CPUExecutionProvider"])


def embed(crops: np.ndarray) -> np.ndarray:
    """N×224×224×3 GHOST crops (model space) → N×128 unit-length embeddings."""
    crops = np.asarray(crops, np.float32)
    if crops.ndim == 3:
        crops = crops[None]
    faces = np.stack([cv2.warpAffine(c, GHOST_TO_ARCFACE, (112, 112), flags=cv2.INTER_LINEAR) for c in crops])
    tensor = np.ascontiguousarray(((faces - 0.5) / 0.5).transpose(0, 3, 1, 2), np.float32)
    session = _session()
    out = session.run(None, {session.get_inputs()[0].name: tensor})[0]
    return out / np.linalg.norm(out, axis=1, keepdims=True)


def cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise cosine similarity of two crop batches (or single crops)."""
    return np.sum(embed(a) * embed(b), axis=1)
