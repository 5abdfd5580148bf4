"""Scoring swaps: identity retrieval with an independent recogniser, head pose, expression and jitter.

Import from the submodules (`evaluate`, `clips`, `recogniser`, `report`); this package file only
declares `RECOGNISERS` (strings, no model code) so the CLI starts without loading OpenCV and
onnxruntime.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from ghost_core.registry import Registry

if TYPE_CHECKING:
    from pathlib import Path

    import numpy as np


class FaceRecogniser(Protocol):
    """An identity embedder independent of GHOST's ArcFace: GHOST 224 crops → unit-length rows."""

    name: str
    path: Path  # the weights, recorded in the report

    def embed(self, crops: np.ndarray) -> np.ndarray: ...


# Factories take no arguments. GHOST's own ArcFace (faces/identity.py) is deliberately not here:
# scoring with the encoder the generator was trained against flatters the `ghost` swapper.
RECOGNISERS: Registry[FaceRecogniser] = Registry("recogniser", FaceRecogniser)
RECOGNISERS.add(
    "auto", "ghost_core.evaluation.recogniser:open_default", "glintr100 (the only built-in choice today)"
)
RECOGNISERS.add(
    "glintr100",
    "ghost_core.evaluation.recogniser:open_default",
    "IResNet-100 on Glint360K (`ghostswap models install antelopev2`)",
)
RECOGNISERS.add_files(
    ".onnx", "ghost_core.evaluation.recogniser:Recogniser", "any 112×112 ArcFace-style ONNX embedder"
)
