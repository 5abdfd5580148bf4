"""One output frame: matte every swapped face from its own landmarks, paste them in linear light."""

from __future__ import annotations

from typing import Any

import numpy as np

from ghost_core.composite import combine_mattes, paste_face
from ghost_core.io.exr import Frame
from ghost_core.matte import face_mask


def compose_frame(renderer: Any, plate: Frame, faces: list[tuple[Any, np.ndarray]]) -> tuple[np.ndarray, np.ndarray, tuple[int, int]]:
    """Returns (new RGB over the union box, full-frame matte, box origin) for `write_frame`."""
    raise NotImplementedError
