"""An identity recogniser independent of GHOST's ArcFace: does a swapped face show the source person?

Scoring a swap with the encoder that trained it rewards the generator for fooling that encoder, so the
paper's protocol (GHOST_REFERENCE §5) uses another network. Any 112×112 ArcFace-aligned ONNX embedder
works: glintr100 from the antelopev2 pack (IResNet-100 on Glint360K, GHOST_REFERENCE §1.11) is the
default when installed; MobileFaceNet-128d (../shared/assets/models) is what the tests use.

GHOST crops are aligned to the frontal 224 template, so one fixed similarity maps that template onto
insightface's ArcFace 112 template before embedding.

Input normalisation: RGB, (x − 0.5)/0.5, i.e. insightface's mean 127.5 / std 127.5 on 0..255. For
glintr100 that is documented; for MobileFaceNet it was found by experiment: on 22 GHOST crops (obama
×3, biden ×2, lacamoire ×2, elon ×2, zuckerberg ×2 and ten other people) it separates identities best:
genuine cosine ≥ 0.54, impostor ≤ 0.28 (BGR: 0.51 / 0.34; 0..1: 0.41 / 0.34; 0..255: no separation).
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from ghost_core.errors import GhostSwapError, ModelError
from ghost_core.evaluation import RECOGNISERS, FaceRecogniser
from ghost_core.faces import align

ARCFACE_112 = np.array(
    [[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366], [41.5493, 92.3655], [70.7299, 92.2041]]
)
# The GHOST frontal template (224) fitted onto the ArcFace template (112).
GHOST_TO_ARCFACE = align.similarity(align.templates(align.CROP_SIZE)[2], ARCFACE_112)
DEFAULT_PACK = "antelopev2"
DEFAULT_FILE = "glintr100.onnx"
INPUT_SIZE = 112
BATCH = 32


class Recogniser:
    """ONNX face embedder on GHOST 224 crops → unit-length embeddings (one row per crop)."""

    def __init__(self, path: str | Path, threads: int | None = None) -> None:
        import onnxruntime as ort

        self.path = Path(path)
        if not self.path.is_file():
            raise ModelError(f"{self.path}: recogniser model not found; check the --recogniser path")
        options = ort.SessionOptions()
        options.log_severity_level = 3
        if threads:
            options.intra_op_num_threads = threads
        try:
            self._session = ort.InferenceSession(str(self.path), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises several unrelated types for a bad file
            message = " ".join(str(exc).split())[:200]
            raise ModelError(f"{self.path}: not a loadable ONNX model ({message})") from exc
        inp = self._session.get_inputs()[0]
        shape = list(inp.shape)
        if len(shape) != 4 or shape[1] != 3 or shape[2:] != [INPUT_SIZE, INPUT_SIZE]:
            raise ModelError(
                f"{self.path}: expected an N×3×112×112 face embedder, the model takes {shape}; "
                "pass an ArcFace-style recogniser"
            )
        self._input = inp.name
        self._batch = shape[0] if isinstance(shape[0], int) and shape[0] > 0 else BATCH
        self.name = self.path.stem

    def embed(self, crops: np.ndarray) -> np.ndarray:
        """N×224×224×3 GHOST crops (model space, or one crop) → N×D unit-length embeddings."""
        crops = np.asarray(crops, np.float32)
        if crops.ndim == 3:
            crops = crops[None]
        faces = np.stack(
            [
                cv2.warpAffine(c, GHOST_TO_ARCFACE, (INPUT_SIZE, INPUT_SIZE), flags=cv2.INTER_LINEAR)
                for c in crops
            ]
        )
        tensor = np.ascontiguousarray(((faces - 0.5) / 0.5).transpose(0, 3, 1, 2), np.float32)
        step = self._batch
        out = np.concatenate(
            [
                self._session.run(None, {self._input: tensor[i : i + step]})[0]
                for i in range(0, len(tensor), step)
            ]
        ).astype(np.float32)
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)


def default_recogniser_path() -> Path:
    """glintr100 from the installed antelopev2 pack; ModelError saying what to do when it is missing."""
    try:
        from ghost_core.models_store import resolve

        return resolve(DEFAULT_PACK) / DEFAULT_FILE
    except GhostSwapError as exc:
        raise ModelError(
            f"no identity recogniser: {DEFAULT_FILE} comes with `ghostswap models install {DEFAULT_PACK}` "
            f"({exc}); or pass --recogniser PATH.onnx (any 112×112 ArcFace-style embedder)"
        ) from exc


def open_default() -> Recogniser:
    """glintr100 from the model manager (ModelError says how to install it)."""
    return Recogniser(default_recogniser_path())


def open_recogniser(name: str | Path | None = None) -> FaceRecogniser:
    """A `RECOGNISERS` name or a path to an .onnx embedder; None means "auto"."""
    return RECOGNISERS.create(str(name) if name is not None else "auto")
