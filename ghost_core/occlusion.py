"""Offline occlusion estimate: what covers a face, learnt from the shot itself (no model download).

GHOST's matte is the landmark hull, so a hand, a microphone or a strand of hair in front of the
face is painted over. Per track the plate's face is seen in face-aligned (224 crop) space on a
fixed sample of the track's frames, in Oklab (perceptual: distances read as colour differences):

* moving occluders: the per-pixel median of the samples is the face's robust appearance, and the
  median distance of the samples to it says how much each pixel varies by itself (eyes, mouth,
  hair edges). On a frame, a pixel further from the median than that by a margin (after the
  frame's own global light shift is removed) is covered. Anything present on fewer than half of
  the sampled frames does not enter the median, so it is caught wherever it appears;
* static occluders (glasses, a microphone held all shot, a fringe): on the median face, pixels
  whose chromaticity (a/L, b/L: shading does not move it) or lightness is far from the crop's own
  skin model (robust statistics of the skin outside brows, eyes and mouth) are not skin.

The result is a soft occlusion matte in the crop, exactly 1 on the detected occluder, so that the
final matte `face × (1 − occlusion)` is exactly 0 there and the plate's bits come through.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from ghost_core.color_match import to_oklab
from ghost_core.faces.regions import region_masks
from ghost_core.faces.types import Landmarks
from ghost_core.matte import MaskParams, face_mask

BLUR_SIGMA = 1.5  # crop px: alignment jitter and grain are not occluders
MARGIN = 0.06  # Oklab distance a pixel must exceed beyond its own variation (~5 dE)
SPREAD_GAIN = 4.0  # how many of its typical distances from the median a pixel may wander
MIN_AREA = 120  # crop px: smaller specks are noise, not occluders
GROW = 2  # crop px the occluder is grown by, so its soft edge does not reach into it
EDGE_SIGMA = 2.0
SKIN_Z = 6.0  # robust z-score beyond which a median-face pixel is not the crop's skin
REGION = MaskParams(erode=-11, sigma_x=0.0, sigma_y=0.0, brow_factor=2.7)  # the matte's reach, unfeathered
SKIN_INSET = 7  # crop px the static test stays inside the landmark hull (its edge is background or hair)


def _lab(crop: np.ndarray) -> np.ndarray:
    lab = to_oklab(np.clip(crop, 0.0, 1.0)).astype(np.float32)
    return cv2.GaussianBlur(lab, (7, 7), BLUR_SIGMA)


def _ellipse(size: int) -> np.ndarray:
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))


def _distances(lab: np.ndarray, median: np.ndarray, region: np.ndarray) -> np.ndarray:
    """Per-pixel Oklab distance to the median after removing the frame's global shift inside `region`."""
    residual = lab - median
    shift = np.median(residual[region], axis=0) if region.any() else np.zeros(3, np.float32)
    return np.linalg.norm(residual - shift, axis=-1)


def clean(mask: np.ndarray, region: np.ndarray) -> np.ndarray:
    """Binary occluder: specks opened away, holes closed, components under MIN_AREA dropped, grown."""
    binary = (mask & region).astype(np.uint8)
    binary = cv2.morphologyEx(binary, cv2.MORPH_OPEN, _ellipse(3))
    binary = cv2.morphologyEx(binary, cv2.MORPH_CLOSE, _ellipse(5))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=8)
    keep = np.zeros(count, bool)
    keep[1:] = stats[1:, cv2.CC_STAT_AREA] >= MIN_AREA
    binary = keep[labels].astype(np.uint8)
    if GROW > 0 and binary.any():
        binary = cv2.dilate(binary, _ellipse(2 * GROW + 1))
    return binary.astype(bool)


def soften(binary: np.ndarray) -> np.ndarray:
    """Soft occlusion matte: a short float feather outside the occluder, exactly 1.0 on it."""
    hard = binary.astype(np.float32)
    if not binary.any():
        return hard
    soft = cv2.GaussianBlur(hard, (0, 0), EDGE_SIGMA)
    return np.clip(np.maximum(soft, hard), 0.0, 1.0)


@dataclass(frozen=True)
class Appearance:
    """One track's robust face in its reference frame: what every frame of it is compared with.

    The reference frame is the crop space of the samples' median landmark shape; each crop is
    brought into it by the similarity that maps its own landmarks onto that shape, so key point
    jitter (large when an occluder disturbs the detector) is not mistaken for an occluder.
    """

    shape: np.ndarray  # N×2 median landmark points (reference frame)
    median: np.ndarray  # 224×224×3 Oklab (blurred) per-pixel median of the aligned samples
    spread: np.ndarray  # 224×224 median distance of the samples to it (the pixel's own variation)
    region: np.ndarray  # 224×224 bool: where a face pixel can be (generous hull of the median face)
    static: np.ndarray  # 224×224 bool: non-skin occluders on the median face itself
    samples: int


def similarity(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Least-squares similarity (2×3) taking points `src` onto `dst` (Umeyama; closed form, deterministic)."""
    src, dst = np.asarray(src, np.float64), np.asarray(dst, np.float64)
    mu_s, mu_d = src.mean(0), dst.mean(0)
    a, b = src - mu_s, dst - mu_d
    cov = b.T @ a / len(src)
    u, d, vt = np.linalg.svd(cov)
    sign = np.diag([1.0, np.sign(np.linalg.det(u @ vt)) or 1.0])
    rotation = u @ sign @ vt
    scale = float(np.trace(np.diag(d) @ sign) / max((a**2).sum() / len(src), 1e-12))
    matrix = np.empty((2, 3), np.float64)
    matrix[:, :2] = scale * rotation
    matrix[:, 2] = mu_d - matrix[:, :2] @ mu_s
    return matrix


def _to_reference(image: np.ndarray, marks: Landmarks, shape: np.ndarray) -> np.ndarray:
    size = image.shape[1], image.shape[0]
    matrix = similarity(marks.points, shape)
    return cv2.warpAffine(image, matrix, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def skin_model(median: np.ndarray, marks: Landmarks) -> tuple[np.ndarray, np.ndarray]:
    """Robust centre and spread of (L, a/L, b/L) over the median face's skin (features left out)."""
    regions = region_masks(marks, median.shape[0])
    features = np.maximum(np.maximum(regions["brows"], regions["eyes"]), regions["mouth"])
    features = cv2.dilate(features, _ellipse(15))
    skin = cv2.erode(regions["skin"], _ellipse(9)) * (1.0 - features) > 0.5
    values = _chromaticity(median)[skin] if skin.sum() >= 50 else _chromaticity(median).reshape(-1, 3)
    centre = np.median(values, axis=0)
    spread = 1.4826 * np.median(np.abs(values - centre), axis=0)
    return centre, np.maximum(spread, (0.04, 0.01, 0.01))


def _chromaticity(lab: np.ndarray) -> np.ndarray:
    light = np.maximum(lab[..., :1], 0.05)
    return np.concatenate([lab[..., :1], lab[..., 1:] / light], axis=-1)


def static_occluders(median: np.ndarray, marks: Landmarks, region: np.ndarray) -> np.ndarray:
    """Pixels of the median face that are not the crop's own skin, outside the facial features."""
    centre, spread = skin_model(median, marks)
    z = np.sqrt((((_chromaticity(median) - centre) / spread) ** 2).sum(-1))
    regions = region_masks(marks, median.shape[0])
    features = regions["brows"] + regions["eyes"] + regions["mouth"] + regions["nose"]
    features = cv2.dilate(np.minimum(features, 1.0), _ellipse(11)) > 0
    hull = np.minimum(regions["skin"] + features, 1.0)
    inside = cv2.erode(hull, _ellipse(2 * SKIN_INSET + 1)) > 0
    return clean((z > SKIN_Z) & ~features & inside, region)


def build_appearance(crops: Sequence[np.ndarray], marks: Sequence[Landmarks]) -> Appearance:
    """The appearance of a track from model-space crops of a fixed sample of its frames.

    `marks` are the landmarks of each crop. Deterministic: the same samples give the same bits,
    which keeps chunks equal to a whole render.
    """
    shape = np.median(np.stack([m.points for m in marks]), axis=0).astype(np.float32)
    reference = Landmarks(shape, marks[0].layout)
    labs = np.stack([_to_reference(_lab(c), m, shape) for c, m in zip(crops, marks, strict=True)])
    median = np.median(labs, axis=0).astype(np.float32)
    region = face_mask(reference, REGION, median.shape[0]) > 0
    distances = np.stack([_distances(lab, median, region) for lab in labs])
    spread = np.median(distances, axis=0).astype(np.float32)
    static = static_occluders(median, reference, region)
    return Appearance(shape, median, spread, region, static, len(crops))


def estimate(appearance: Appearance, seen: np.ndarray, marks: Landmarks) -> np.ndarray:
    """Soft occlusion matte (224×224 float32, 1 = covered) of one frame's plate crop `seen`.

    `marks` are the landmarks of `seen`: the frame is compared with the track's appearance in
    the reference frame, and the occluder found there is brought back to this crop.
    """
    lab = _to_reference(_lab(seen), marks, appearance.shape)
    distance = _distances(lab, appearance.median, appearance.region)
    moving = distance > MARGIN + SPREAD_GAIN * appearance.spread
    found = (clean(moving, appearance.region) | appearance.static).astype(np.uint8)
    back = cv2.invertAffineTransform(similarity(marks.points, appearance.shape))
    size = seen.shape[1], seen.shape[0]
    crop = cv2.warpAffine(found, back, size, flags=cv2.INTER_NEAREST, borderMode=cv2.BORDER_CONSTANT)
    return soften(crop > 0)


def with_parser(occlusion: np.ndarray | None, seen: np.ndarray, hull: np.ndarray) -> np.ndarray | None:
    """`occlusion` joined with the installed face parser's occluders inside `hull`, when it is installed.

    The parser names glasses, hair, hats and background inside the hull from the plate crop alone,
    so it also works on a track's reference frame, where the appearance estimate sees nothing.
    """
    from ghost_core.faces.parser import installed_parser, occluders

    parser = installed_parser()
    if parser is None:
        return occlusion
    parsed = occluders(parser.labels(seen[None])[0], hull)
    return parsed if occlusion is None else np.maximum(occlusion, parsed)
