"""16-bit PNG for display-referred images (crops, portraits, contact sheets): no 8-bit step anywhere.

Model-space floats 0..1 are stored as round(x × 65535); reading gives the same floats back to 1/65535,
so training crops and review images keep the precision the engine works in.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import OpenImageIO as oiio

from ghost_core.errors import OutputError
from ghost_core.io.atomic import atomic_output


def write_png16(path: str | Path, rgb: np.ndarray) -> None:
    """H×W×3 float RGB (clipped to 0..1) as a 16-bit PNG, written atomically."""
    path = Path(path)
    pixels = np.round(np.clip(np.asarray(rgb, np.float32), 0.0, 1.0) * 65535.0).astype(np.uint16)
    spec = oiio.ImageSpec(pixels.shape[1], pixels.shape[0], pixels.shape[2], oiio.UINT16)
    with atomic_output(path) as tmp:
        out = oiio.ImageOutput.create(str(tmp))
        if out is None or not out.open(str(tmp), spec) or not out.write_image(np.ascontiguousarray(pixels)):
            raise OutputError(
                f"{path}: cannot write this PNG ({oiio.geterror()}); check space and permissions"
            )
        out.close()
