"""Optional face parser: a BiSeNet-style 19-class CelebAMask-HQ model in ONNX, from the model store.

When `ghostswap models install face_parser_bisenet` has put it in the store, it names every crop
pixel (skin, brows, eyes, nose, mouth, lips, hair, glasses, hat, ...). GhostSwap uses that to
sharpen the occlusion matte (plate pixels inside the face hull that are not face, e.g. glasses,
a fringe of hair, a hat brim, are occluders) and for per-class region masks; without it the
landmark regions and the offline appearance estimate are used unchanged.
The published model takes 512×512 RGB normalised with ImageNet's mean and std and returns
N×19×512×512 logits (zllrunning/face-parsing.PyTorch's BiSeNet, its ONNX export by clibdev).
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path

import cv2
import numpy as np

from ghost_core.errors import ModelError, UsageError

log = logging.getLogger("ghostswap.parser")

PARSER_MODEL = "face_parser_bisenet"
PARSER_SIZE = 512
MEAN = np.array([0.485, 0.456, 0.406], np.float32)
STD = np.array([0.229, 0.224, 0.225], np.float32)

# CelebAMask-HQ label order, as the published BiSeNet was trained.
CLASSES = (
    "background", "skin", "l_brow", "r_brow", "l_eye", "r_eye", "eye_g", "l_ear", "r_ear", "ear_r",
    "nose", "mouth", "u_lip", "l_lip", "neck", "neck_l", "cloth", "hair", "hat",
)  # fmt: skip

# Parser classes behind each region mask (GhostSwap's landmark regions plus lips and hair).
REGION_CLASSES: dict[str, tuple[str, ...]] = {
    "skin": ("skin", "nose"),
    "brows": ("l_brow", "r_brow"),
    "eyes": ("l_eye", "r_eye"),
    "nose": ("nose",),
    "mouth": ("mouth",),
    "lips": ("u_lip", "l_lip"),
    "hair": ("hair",),
}

# Plate pixels of these classes inside the face hull hide the face: the swap must not paint them.
OCCLUDER_CLASSES = ("background", "eye_g", "ear_r", "neck_l", "cloth", "hair", "hat")


def class_ids(names: tuple[str, ...]) -> np.ndarray:
    return np.array([CLASSES.index(n) for n in names], np.uint8)


class FaceParser:
    """One onnxruntime session of a 19-class parser; `labels` of model-space crops of any size."""

    def __init__(self, path: Path | str, device: str = "auto") -> None:
        import onnxruntime as ort

        from ghost_core.runtime.devices import ort_providers

        options = ort.SessionOptions()
        options.log_severity_level = 3
        self.session = ort.InferenceSession(str(path), options, providers=ort_providers(device))
        self.input = self.session.get_inputs()[0].name
        self.output = self.session.get_outputs()[0].name
        self.path = Path(path)

    def labels(self, crops: np.ndarray) -> np.ndarray:
        """N×S×S×3 model-space (sRGB-encoded 0..1) crops → N×S×S uint8 class ids (CLASSES order)."""
        out = []
        for crop in np.asarray(crops, np.float32):
            size = crop.shape[1], crop.shape[0]
            square = (PARSER_SIZE, PARSER_SIZE)
            big = cv2.resize(np.clip(crop, 0.0, 1.0), square, interpolation=cv2.INTER_LINEAR)
            net_in = ((big - MEAN) / STD).transpose(2, 0, 1)[None].astype(np.float32)
            logits = np.asarray(self.session.run([self.output], {self.input: net_in})[0])[0]
            if logits.shape[0] != len(CLASSES):
                raise ModelError(f"{self.path}: the parser gave {logits.shape[0]} classes, expected 19")
            ids = logits.argmax(0).astype(np.uint8)
            out.append(cv2.resize(ids, size, interpolation=cv2.INTER_NEAREST))
        return np.stack(out)


def region_masks(labels: np.ndarray) -> dict[str, np.ndarray]:
    """S×S class ids → {region: float32 0..1 mask} for REGION_CLASSES."""
    return {name: np.isin(labels, class_ids(ids)).astype(np.float32) for name, ids in REGION_CLASSES.items()}


def occluders(labels: np.ndarray, hull: np.ndarray) -> np.ndarray:
    """Float32 1 where a non-face class lies inside the face hull (`hull` > 0), else 0."""
    return (np.isin(labels, class_ids(OCCLUDER_CLASSES)) & (np.asarray(hull) > 0)).astype(np.float32)


def installed_parser() -> FaceParser | None:
    """The store's face parser when installed (opened once per file), else None (offline path)."""
    from ghost_core.models_store import resolve

    try:
        path = resolve(PARSER_MODEL)
    except (ModelError, UsageError):  # not installed, or a manifest without the parser
        return None
    return _open(str(path))


@functools.lru_cache(maxsize=2)
def _open(path: str) -> FaceParser:
    log.info("face parser: %s", path)
    return FaceParser(path)
