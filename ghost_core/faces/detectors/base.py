"""The detector interface and the pieces every detector shares: input hygiene, NMS, ONNX sessions."""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort

from ghost_core.errors import InputError, ModelError
from ghost_core.faces.types import Detection
from ghost_core.runtime.devices import ort_providers

log = logging.getLogger("ghostswap.detectors")


class Detector(ABC):
    """Finds faces with five key points (insightface order) in a model-space float RGB image."""

    name: str

    @abstractmethod
    def detect(self, image: np.ndarray) -> list[Detection]:
        """Faces sorted by score (highest first); boxes and key points in `image` pixels."""

    def detect_batch(self, images: Iterable[np.ndarray]) -> list[list[Detection]]:
        """One list per image, equal to `detect` of each; this default is a plain loop."""
        return [self.detect(image) for image in images]


class OnnxDetector(Detector):
    """A detector whose network is one onnxruntime session: `detect_batch` stacks frames into one run.

    Subclasses set `session`, `input_name` and `label`, and split `detect` into `_prepare` (one
    image to a 1×3×H×W blob and what decoding needs) and `_decode` (one image's outputs, exactly
    as a batch-1 run returns them). A batched run hands `_decode` each image's slice `o[k:k+1]`,
    so decoding never knows how the network was run. Frames are stacked only when their blobs
    have the same shape and the graph's batch axis is dynamic (or fixed at that size); on the
    first stacked run one image is also run alone and compared, so an export that accepts a batch
    but mixes images (a batch of 1 baked into a reshape) falls back to the loop with a warning.
    """

    session: ort.InferenceSession
    input_name: str
    label: str
    # Batched vs single outputs on the probe: bit-equal on the CPU here (measured); the bound only
    # has to tell a wrong batch (another image's numbers) from last-bit kernel differences.
    PROBE_RTOL, PROBE_ATOL = 1e-3, 1e-4

    _batch_checked: bool = False
    _batch_ok: bool = True

    @abstractmethod
    def _prepare(self, rgb: np.ndarray) -> tuple[np.ndarray, Any]:
        """A sanitized non-empty image to (1×3×H×W float32 blob, whatever `_decode` needs)."""

    @abstractmethod
    def _decode(self, outputs: list[np.ndarray], meta: Any) -> list[Detection]:
        """Detections of one image from its outputs (each with a batch axis of 1 where the graph has one)."""

    def _run(self, blob: np.ndarray) -> list[np.ndarray]:
        return [np.asarray(o) for o in self.session.run(None, {self.input_name: blob})]

    def detect(self, image: np.ndarray) -> list[Detection]:
        rgb = sanitize(image)
        if rgb.shape[0] == 0 or rgb.shape[1] == 0:
            return []
        blob, meta = self._prepare(rgb)
        return self._decode(self._run(blob), meta)

    def _can_stack(self, n: int) -> bool:
        """Whether `n` same-shaped blobs may go through the graph in one run."""
        if n < 2 or not self._batch_ok:
            return False
        dim = self.session.get_inputs()[0].shape[0]
        return not isinstance(dim, int) or dim <= 0 or dim == n

    def detect_batch(self, images: Iterable[np.ndarray]) -> list[list[Detection]]:
        """As `detect` of each image, with same-sized images through the network in one run."""
        results: list[list[Detection]] = []
        groups: dict[tuple[int, ...], list[tuple[int, np.ndarray, Any]]] = {}
        for image in images:
            rgb = sanitize(image)
            if rgb.shape[0] and rgb.shape[1]:
                blob, meta = self._prepare(rgb)
                groups.setdefault(blob.shape, []).append((len(results), blob, meta))
            results.append([])
        for members in groups.values():
            per_image = self._run_stacked([blob for _, blob, _ in members])
            for (index, _, meta), outputs in zip(members, per_image, strict=True):
                results[index] = self._decode(outputs, meta)
        return results

    def _run_stacked(self, blobs: list[np.ndarray]) -> list[list[np.ndarray]]:
        """Each blob's outputs as its own batch-1 run gives them: one stacked run where allowed."""
        n = len(blobs)
        if self._can_stack(n):
            try:
                outputs = self._run(np.concatenate(blobs))
            except Exception:  # onnxruntime raises several types; a baked batch of 1 fails here
                if self._batch_checked:
                    raise
                outputs = []
            if outputs and all(o.ndim >= 2 and o.shape[0] == n for o in outputs):
                split = [[o[k : k + 1] for o in outputs] for k in range(n)]
                if self._batch_checked or self._same(split[-1], self._run(blobs[-1])):
                    self._batch_checked = True
                    return split
            self._batch_ok = False
            log.warning("%s: no correct batch of %d from this network; one image at a time", self.label, n)
        return [self._run(blob) for blob in blobs]

    def _same(self, batched: list[np.ndarray], alone: list[np.ndarray]) -> bool:
        return len(batched) == len(alone) and all(
            a.shape == b.shape and np.allclose(a, b, rtol=self.PROBE_RTOL, atol=self.PROBE_ATOL)
            for a, b in zip(batched, alone, strict=True)
        )


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
