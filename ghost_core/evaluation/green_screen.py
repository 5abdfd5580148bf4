"""A source photo with its flat background painted pure green, and the pixels a swap made green.

The morph swapper must never carry the source's hair or background into the face it paints. On
a real photo that background is grey or blurred and hard to tell from shadowed skin; painted
green it is unmistakable, since skin is always redder than it is green. Used by
`benchmarks/quality.py --only silhouette` and `tests/swappers/test_morph_silhouette.py`.
"""

from __future__ import annotations

import cv2
import numpy as np

FLAT_CHROMA = 22  # 8-bit code values: max − min channel below this is the photo's flat (grey) background
GREENER = 0.04  # a swapped pixel this much greener (G − R) than the plate is the screen's


def green_screened(rgb: np.ndarray) -> np.ndarray:
    """`rgb` (H×W×3 float, 0..1) with its flat background reached from the border set to (0, 1, 0)."""
    codes = np.round(np.asarray(rgb, np.float32) * 255.0)  # photos are 8-bit: compare their code values
    flat = (codes.max(axis=2) - codes.min(axis=2) < FLAT_CHROMA).astype(np.uint8)
    _, labels = cv2.connectedComponents(flat, connectivity=4)
    border = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    out = np.array(rgb, np.float32, copy=True)
    out[np.isin(labels, border[border > 0]) & (flat > 0)] = (0.0, 1.0, 0.0)
    return out


def screen_pixels(swapped: np.ndarray, plate: np.ndarray) -> np.ndarray:
    """Bool mask: the swap made the pixel clearly greener than the plate, and green over red."""
    greener = (swapped[..., 1] - swapped[..., 0]) - (plate[..., 1] - plate[..., 0])
    return (greener > GREENER) & (swapped[..., 1] > swapped[..., 0])
