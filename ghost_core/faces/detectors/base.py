"""The detector interface and the pieces every detector shares: input hygiene, NMS, ONNX sessions."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort

from ghost_core.errors import InputError, ModelError
from ghost_core.faces.types import Detection
from ghost_core.runtime.devices import ort_providers


class Detector(ABC):
    """Finds faces with five key points (insightface order) in a model-space float RGB image."""

    name: str

    @abstractmethod
    def detect(self, image: np.ndarray) -> list[Detection]:
        """Faces sorted by score (highest first); boxes and key points in `image` pixels."""

    def detect_batch(self, images: Iterable[np.ndarray]) -> list[list[Detection]]:
        """One list per image; the networks here run one image at a time, so this is a plain loop."""
        return [self.detect(image) for image in images]


def sanitize(image: np.ndarray) -> np.ndarray:
    """H×W×3 float32 in 0..1 with NaN/Inf set to 0, so a bad plate pixel never poisons the network."""
    arr = np.asarray(image)
    if arr.ndim != 3 or arr.shape[2] < 3:
        raise InputError(f"face detection needs an H×W×3 RGB image, got an array of shape {arr.shape}")
    rgb = np.asarray(arr[..., :3], np.float32)
    rgb = np.nan_to_num(rgb, nan=0.0, posinf=0.0, neginf=0.0)
    return np.clip(rgb, 0.0, 1.0, out=rgb)


def resize(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """Bilinear when close to scale (as insightface), area when shrinking hard, which would alias."""
    import cv2

    h, w = image.shape[:2]
    shrink = max(w / max(width, 1), h / max(height, 1))
    interp = cv2.INTER_AREA if shrink > 2.0 else cv2.INTER_LINEAR
    return cv2.resize(np.ascontiguousarray(image), (width, height), interpolation=interp)


def nms(boxes: np.ndarray, scores: np.ndarray, iou_threshold: float) -> np.ndarray:
    """Indices kept by greedy non-maximum suppression, highest score first."""
    order = np.argsort(-scores, kind="stable")
    x0, y0, x1, y1 = boxes.T
    areas = np.maximum(x1 - x0, 0) * np.maximum(y1 - y0, 0)
    keep: list[int] = []
    while order.size:
        i = int(order[0])
        keep.append(i)
        rest = order[1:]
        iw = np.maximum(0.0, np.minimum(x1[i], x1[rest]) - np.maximum(x0[i], x0[rest]))
        ih = np.maximum(0.0, np.minimum(y1[i], y1[rest]) - np.maximum(y0[i], y0[rest]))
        inter = iw * ih
        iou = inter / np.maximum(areas[i] + areas[rest] - inter, 1e-9)
        order = rest[iou <= iou_threshold]
    return np.asarray(keep, np.int64)


def to_detections(
    boxes: np.ndarray, scores: np.ndarray, kps: np.ndarray, nms_threshold: float
) -> list[Detection]:
    """NMS, then Detection objects sorted by score descending."""
    if scores.size == 0:
        return []
    keep = nms(boxes, scores, nms_threshold)
    return [Detection(boxes[i], float(scores[i]), kps[i]) for i in keep]


def open_session(model: str | Path | bytes, label: str, device: str = "auto") -> ort.InferenceSession:
    """An onnxruntime session on CUDA or the CPU; ModelError names the file when it cannot load.

    TensorRT is skipped on purpose: these detectors are small, and building an engine (per input
    shape for RetinaFace) would cost far more than it saves.
    """
    if not isinstance(model, bytes):
        path = Path(model)
        if not path.is_file():
            raise ModelError(f"{path}: detector model not found; check the path or install the model")
        model = str(path)
    providers: list[Any] = [
        p for p in ort_providers(device) if (p if isinstance(p, str) else p[0]) != "TensorrtExecutionProvider"
    ]
    options = ort.SessionOptions()
    options.log_severity_level = 3
    try:
        return ort.InferenceSession(model, sess_options=options, providers=providers)
    except Exception as exc:  # onnxruntime raises several unrelated types for a bad file
        message = " ".join(str(exc).split())[:300]
        hint = "re-download or reinstall it"
        raise ModelError(f"{label}: not a loadable ONNX model ({message}); {hint}") from exc
