"""Local skin colour match: the swap's low-frequency colour field becomes the plate's.

A global match (color_match.match_skin) gives the swapped skin the plate face's *mean* colour, but
the shot's light changes across a face: one cheek is lit, the jaw is in shadow, the forehead takes
a coloured bounce. At the matte's edge the swap then meets plate skin of another colour and the
feather shows as a seam. Here, in Oklab, the swap's low-pass field (a Gaussian of a good fraction
of the face) is replaced by the plate's, so at every place the swapped skin has the plate's local
lightness, hue and saturation, and keeps its own detail above that scale (pores, wrinkles, the
shading of its own nose and eyes: the identity).

The low-pass is a normalised convolution (blur(w·x) / blur(w)) under one weight for both crops:
the matte's area where *both* faces look like skin. Eyes, brows, mouth, hair and background (dark,
or off the skin's hue) get no weight, so they do not leak into the skin's field, and the
field is carried over them from the skin around. Like the global match it works on GHOST model
space crops (0..1) through OCIO's texture path; paste-back stays the one path to scene-linear,
where the change is clamped so that no new negatives appear and the plate's values above 1 stay.
It depends only on the face's own crops, so chunked renders give the same bits as whole ones.
"""

from __future__ import annotations

import cv2
import numpy as np

from ghost_core.color_match import MIN_SKIN_WEIGHT, from_oklab, match_skin, to_oklab

SIGMA = 0.05  # low-pass sigma as a fraction of the crop side (11 px of a 224 crop; tuned on biden.jpg)
REGION_MATTE = 0.02  # crop matte above which a pixel may count as skin (the feather band included)
CORE_MATTE = 0.99  # the matte's solid interior: where each face's own skin colour is estimated
# How far from a face's own skin colour a pixel may be and still count (robust deviations per
# channel; full weight up to LOW, none from HIGH). Lightness is allowed much further than chroma:
# shading across the face is what the match must follow, hair and background differ mostly in hue.
SKIN_DEVIATIONS = (3.0, 5.0)
MIN_SPREAD = np.array([0.06, 0.012, 0.012])  # floors of the robust spread (L, a, b): a grey face has none
SUPPORT = 0.05  # where the blurred weight is below this, the field leans to the face's global mean


def _skin_likeness(lab: np.ndarray, core: np.ndarray) -> np.ndarray:
    """0..1 per pixel: how close to this face's own skin colour (median and MAD under `core`)."""
    values = lab[core]
    centre = np.median(values, axis=0)
    spread = np.maximum(1.4826 * np.median(np.abs(values - centre), axis=0), MIN_SPREAD)
    spread[0] *= 2.0  # lightness: light and shadow on one face are both skin
    distance = np.sqrt((((lab - centre) / spread) ** 2).sum(-1))
    low, high = SKIN_DEVIATIONS
    t = np.clip((high - distance) / (high - low), 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)  # smoothstep: no hard edge in the weight


def _low_pass(values: np.ndarray, weight: np.ndarray, blurred_weight: np.ndarray, sigma: float) -> np.ndarray:
    """Normalised convolution of `values` (h×w×3) under `weight`; weak support leans to the mean."""
    mean = (values * weight[..., None]).sum((0, 1)) / float(weight.sum())
    blurred = cv2.GaussianBlur(values * weight[..., None], (0, 0), sigma, borderType=cv2.BORDER_CONSTANT)
    return (blurred + SUPPORT * mean) / (blurred_weight + SUPPORT)[..., None]


def skin_weight(swap_lab: np.ndarray, seen_lab: np.ndarray, matte: np.ndarray) -> np.ndarray:
    """Where both faces look like skin inside the matte: the pixels the two fields are measured on."""
    core = matte >= CORE_MATTE
    if int(core.sum()) < MIN_SKIN_WEIGHT:
        return np.zeros(matte.shape, np.float64)
    region = (matte > REGION_MATTE).astype(np.float64)
    return region * _skin_likeness(swap_lab, core) * _skin_likeness(seen_lab, core)


def match_skin_local(
    swap: np.ndarray, seen: np.ndarray, matte: np.ndarray, strength: float = 1.0, sigma: float = SIGMA
) -> np.ndarray:
    """`swap` (size×size×3 model space) with its low-frequency skin colour taken from `seen`.

    `matte` is the face's crop matte (0..1, size×size); `sigma` the low-pass scale as a fraction of
    the crop side. `strength` 0 returns `swap` unchanged, 1 the full match. Returns float32 model
    space clipped to 0..1; `swap` itself is not modified.
    """
    matte = np.asarray(matte, np.float64)
    if swap.shape[:2] != matte.shape or seen.shape[:2] != matte.shape:
        raise ValueError(
            f"local colour match: crops {swap.shape[:2]} / {seen.shape[:2]} vs matte {matte.shape}"
        )
    if strength <= 0.0 or sigma <= 0.0:
        return np.asarray(swap, np.float32)
    swap_lab = to_oklab(np.clip(swap, 0.0, 1.0))
    seen_lab = to_oklab(np.clip(seen, 0.0, 1.0))
    weight = skin_weight(swap_lab, seen_lab, matte)
    if float(weight.sum()) < MIN_SKIN_WEIGHT:
        return np.asarray(swap, np.float32)
    pixels = sigma * matte.shape[0]
    blurred_weight = cv2.GaussianBlur(weight, (0, 0), pixels, borderType=cv2.BORDER_CONSTANT)
    plate_field = _low_pass(seen_lab, weight, blurred_weight, pixels)
    shift = plate_field - _low_pass(swap_lab, weight, blurred_weight, pixels)
    return from_oklab(swap_lab + strength * shift)


def match_colour(
    mode: str, strength: float, swap: np.ndarray, seen: np.ndarray, matte: np.ndarray
) -> np.ndarray:
    """The render's colour match (`color.mode`, `color.match`) of one swapped crop to its plate crop."""
    if strength <= 0.0:
        return swap
    if mode == "local":
        return match_skin_local(swap, seen, matte, strength)
    if mode == "global":
        return match_skin(swap, seen, (matte >= CORE_MATTE).astype(np.float32), strength)
    raise ValueError(f"color.mode must be global or local, not {mode!r}")
