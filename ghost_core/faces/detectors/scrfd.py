"""SCRFD with five key points (insightface; GHOST's detector is SCRFD-10GF, GHOST_REFERENCE §1.8).

Decoding follows insightface's SCRFD: letter-box into the network square (pad bottom-right),
RGB (x·255 − 127.5)/128, anchor centres on strides 8/16/32 with distance-to-box and
distance-to-key-point regression, score threshold, then NMS.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ghost_core.errors import ModelError
from ghost_core.faces.detectors.base import OnnxDetector, open_session, resize, to_detections
from ghost_core.faces.types import Detection

CHANNEL_ROLES = {1: "score", 4: "box", 10: "kps"}


@dataclass(frozen=True)
class StrideHead:
    """Which network outputs hold one stride's scores, boxes and key points."""

    stride: int
    anchors: int
    score: int
    box: int
    kps: int


def group_outputs(shapes: list[tuple[int, ...]], height: int, width: int, label: str) -> list[StrideHead]:
    """Map outputs to strides by row count and to roles by channel count, whatever their order.

    Exports differ: the official scrfd_10g_bnkps has 2-D outputs (rows × channels), others add a
    batch axis, and output order is not guaranteed; the sizes alone identify each one.
    """
    by_rows: dict[int, dict[str, int]] = {}
    for index, shape in enumerate(shapes):
        dims = shape[1:] if len(shape) == 3 else shape
        if len(dims) != 2 or dims[1] not in CHANNEL_ROLES:
            raise ModelError(f"{label}: output {index} has shape {shape}, not an SCRFD head (N×1, N×4, N×10)")
        roles = by_rows.setdefault(int(dims[0]), {})
        role = CHANNEL_ROLES[int(dims[1])]
        if role in roles:
            raise ModelError(f"{label}: two {role} outputs with {dims[0]} rows; not an SCRFD layout")
        roles[role] = index
    heads: list[StrideHead] = []
    for level, rows in enumerate(sorted(by_rows, reverse=True)):
        stride = 8 << level
        cells = (height // stride) * (width // stride)
        roles = by_rows[rows]
        if cells == 0 or rows % cells or set(roles) != set(CHANNEL_ROLES.values()):
            raise ModelError(
                f"{label}: outputs with {rows} rows do not form an SCRFD stride-{stride} head with key "
                f"points ({sorted(roles)}); use an SCRFD *_kps / *_bnkps model"
            )
        heads.append(StrideHead(stride, rows // cells, roles["score"], roles["box"], roles["kps"]))
    return heads


def anchor_centres(height: int, width: int, stride: int, anchors: int) -> np.ndarray:
    """(x, y) of each anchor, row-major over the stride grid, each repeated `anchors` times."""
    ys, xs = np.mgrid[: height // stride, : width // stride]
    centres = np.stack([xs, ys], axis=-1).reshape(-1, 2).astype(np.float32) * stride
    return np.repeat(centres, anchors, axis=0)


class ScrfdDetector(OnnxDetector):
    """Any insightface SCRFD export with key points: the official 10G-bnkps, 500M-kps, 2.5G-kps…

    `max_upscale` bounds how far a small image is enlarged to fill the input (insightface: no bound).
    """

    def __init__(
        self,
        onnx_path: str | Path,
        threshold: float = 0.6,
        nms_threshold: float = 0.4,
        input_size: int = 640,
        device: str = "auto",
        max_upscale: float = 1.5,
    ) -> None:
        self.path = Path(onnx_path)
        self.name = f"scrfd:{self.path.name}"
        self.threshold = float(threshold)
        self.nms_threshold = float(nms_threshold)
        self.max_upscale = float(max_upscale)
        self.label = str(self.path)
        self.session = open_session(self.path, self.label, device)
        inp = self.session.get_inputs()[0]
        self.input_name = inp.name
        shape = list(inp.shape)
        if len(shape) != 4:
            raise ModelError(f"{self.path}: input shape {shape} is not N×3×H×W; not an SCRFD model")
        fixed = [d for d in shape[2:4] if isinstance(d, int) and d > 0]
        # A static export dictates its size; a dynamic one (the official file) takes `input_size`.
        self.height, self.width = (shape[2], shape[3]) if len(fixed) == 2 else (input_size, input_size)
        self._heads: list[StrideHead] | None = None
        self._centres: dict[tuple[int, int], np.ndarray] = {}

    def _letterbox(self, rgb: np.ndarray) -> tuple[np.ndarray, float, float]:
        """Fit into the network square (top-left, zero pad), as insightface, but never enlarge past
        `max_upscale`: SCRFD misses a face that fills its whole input (an aligned crop blown up to
        640 scores about 0.15); frames whose long side is 427 px or more are unaffected."""
        h, w = rgb.shape[:2]
        fit = min(self.height / h, self.width / w)
        if fit <= self.max_upscale:
            if h / w > self.height / self.width:
                new_h, new_w = self.height, max(1, int(self.height * w / h))
            else:
                new_w, new_h = self.width, max(1, int(self.width * h / w))
        else:
            new_w, new_h = max(1, round(w * self.max_upscale)), max(1, round(h * self.max_upscale))
        canvas = np.zeros((self.height, self.width, 3), np.float32)
        canvas[:new_h, :new_w] = resize(rgb, new_w, new_h)
        blob = (canvas * 255.0 - 127.5) / 128.0
        return blob.transpose(2, 0, 1)[None].copy(), new_w / w, new_h / h

    def _prepare(self, rgb: np.ndarray) -> tuple[np.ndarray, tuple[float, float]]:
        blob, sx, sy = self._letterbox(rgb)
        return blob, (sx, sy)

    def _decode(self, outputs: list[np.ndarray], meta: tuple[float, float]) -> list[Detection]:
        sx, sy = meta
        outputs = [np.asarray(o, np.float32) for o in outputs]
        if self._heads is None:
            shapes = [tuple(o.shape) for o in outputs]
            self._heads = group_outputs(shapes, self.height, self.width, str(self.path))
        outputs = [o[0] if o.ndim == 3 else o for o in outputs]
        boxes, scores, points = [], [], []
        for head in self._heads:
            score = outputs[head.score][:, 0]
            hit = np.flatnonzero(score >= self.threshold)
            if hit.size == 0:
                continue
            key = (head.stride, head.anchors)
            if key not in self._centres:
                self._centres[key] = anchor_centres(self.height, self.width, head.stride, head.anchors)
            centre = self._centres[key][hit]
            dist = outputs[head.box][hit] * head.stride
            offs = outputs[head.kps][hit].reshape(-1, 5, 2) * head.stride
            boxes.append(np.concatenate([centre - dist[:, :2], centre + dist[:, 2:]], axis=1))
            points.append(centre[:, None, :] + offs)
            scores.append(score[hit])
        if not scores:
            return []
        scale = np.array([sx, sy], np.float32)
        box = np.concatenate(boxes) / np.tile(scale, 2)
        kps = np.concatenate(points) / scale
        return to_detections(box, np.concatenate(scores), kps, self.nms_threshold)
