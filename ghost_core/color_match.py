"""Skin colour match: bring the swapped face's colour to the plate face it replaces.

The generator paints the source person's skin: a greyscale or differently lit photo gives a
grey or off-hue face on the plate. Before paste-back, the swapped crop's skin is matched to the
plate's own skin under the same matte (the face being replaced, lit by the shot): per channel
mean and spread in Oklab, a perceptual space where lightness and the two chroma axes are
separate, so a grey face takes the plate's hue and saturation while keeping its own shading
detail. Both crops are GHOST model space (sRGB-encoded Rec.709, 0..1); OCIO's texture path
(color.texture_path, shared with the morph swapper) gives their light for the statistics and
the result is model space again, so paste-back stays the one colour path to scene-linear.
"""

from __future__ import annotations

import numpy as np

from ghost_core.color import texture_path

# Oklab (Björn Ottosson, 2020): linear sRGB -> LMS -> cube root -> Lab, and back.
_M1 = np.array(
    [
        [0.4122214708, 0.5363325363, 0.0514459929],
        [0.2119034982, 0.6806995451, 0.1073969566],
        [0.0883024619, 0.2817188376, 0.6299787005],
    ],
    np.float64,
)
_M2 = np.array(
    [
        [0.2104542553, 0.7936177850, -0.0040720468],
        [1.9779984951, -2.4285922050, 0.4505937099],
        [0.0259040371, 0.7827717662, -0.8086757660],
    ],
    np.float64,
)
_M1_INV = np.linalg.inv(_M1)
_M2_INV = np.linalg.inv(_M2)

# A spread ratio outside this range means one side has (almost) no variation, e.g. the chroma of
# a greyscale source: then the mean moves and the spread is only stretched this far.
SPREAD_LIMITS = (0.5, 2.0)
MIN_SKIN_WEIGHT = 16.0  # below this many crop pixels of skin the statistics are not trusted


def to_oklab(model: np.ndarray) -> np.ndarray:
    """Model-space RGB (sRGB texture encoding) -> Oklab, through the OCIO texture path."""
    linear = texture_path().from_model(np.ascontiguousarray(model, np.float32)).astype(np.float64)
    return np.cbrt(linear @ _M1.T) @ _M2.T


def from_oklab(lab: np.ndarray) -> np.ndarray:
    """Oklab -> model-space RGB clipped to 0..1 (float32)."""
    linear = ((lab @ _M2_INV.T) ** 3) @ _M1_INV.T
    return texture_path().to_model(np.ascontiguousarray(linear, np.float32), clip=True)


def _stats(lab: np.ndarray, weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    w = weight.reshape(-1, 1)
    values = lab.reshape(-1, 3)
    total = float(w.sum())
    mean = (values * w).sum(0) / total
    spread = np.sqrt(((values - mean) ** 2 * w).sum(0) / total)
    return mean, spread


def match_skin(swap: np.ndarray, seen: np.ndarray, weight: np.ndarray, strength: float = 1.0) -> np.ndarray:
    """`swap` (size×size×3 model space) with its skin matched to `seen`'s under `weight` (size×size).

    `weight` says which crop pixels are skin (e.g. the face matte's solid interior); both faces
    are measured there. `strength` 0 returns `swap` unchanged, 1 the full match. Returns float32
    model space clipped to 0..1 (the generator's own range); `swap` itself is not modified.
    """
    weight = np.asarray(weight, np.float64)
    if strength <= 0.0 or float(weight.sum()) < MIN_SKIN_WEIGHT:
        return np.asarray(swap, np.float32)
    swap_lab = to_oklab(np.clip(swap, 0.0, 1.0))
    seen_lab = to_oklab(np.clip(seen, 0.0, 1.0))
    swap_mean, swap_spread = _stats(swap_lab, weight)
    seen_mean, seen_spread = _stats(seen_lab, weight)
    ratio = np.clip(seen_spread / np.maximum(swap_spread, 1e-6), *SPREAD_LIMITS)
    matched = (swap_lab - swap_mean) * ratio + seen_mean
    if strength < 1.0:
        matched = swap_lab + (matched - swap_lab) * strength
    return from_oklab(matched)
