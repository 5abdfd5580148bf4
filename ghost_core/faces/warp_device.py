"""Where the per-face warps run: None (OpenCV on the CPU, the default) or a torch device's warper.

The crop warp (`align.warp_crop`) and the paste-back warp (`matte.warp_to_box`) ask `active()`
first; `engine/torch_warp.py` installs a warper for the length of a render whose runtime device
is CUDA. The crop cut (`engine/crops.cut_face`), the ghost generator's resizes and the blend
(`composite.paste_face`) use its device methods too, so their CPU code stays as it was.
Kept free of torch and of the engine so the face code below the engine can consult it.
A process-wide setting, not a per-thread one: render's compose thread must see what its main
thread chose.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np


class Warper(Protocol):
    def warp_crop(self, image: np.ndarray, matrix: np.ndarray, size: int, border: str) -> np.ndarray: ...

    def warp_to_box(self, image: np.ndarray, inverse: np.ndarray, box: Any) -> np.ndarray: ...

    def model_crop(
        self, region: np.ndarray, path: Any, gain: float, matrix: np.ndarray, size: int
    ) -> tuple[np.ndarray, Any]: ...

    def resize(self, batch: Any, size: int) -> Any: ...

    def batch(self, crops: Any) -> Any: ...

    def paste_change(
        self,
        plate: np.ndarray,
        weight: np.ndarray,
        swap_crop: np.ndarray,
        seen_crop: np.ndarray,
        inverse: np.ndarray,
        support: Any,
        path: Any,
        gain: float,
    ) -> np.ndarray: ...


_active: Warper | None = None


def active() -> Warper | None:
    return _active


def install(warper: Warper | None) -> Warper | None:
    """Make `warper` the active one (None: OpenCV); returns the one it replaced."""
    global _active
    previous, _active = _active, warper
    return previous
