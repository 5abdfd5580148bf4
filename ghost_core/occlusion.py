"""Offline occlusion estimate: what covers a face, learnt from the shot itself (no model download).

GHOST's matte is the landmark hull, so a hand, a microphone or a strand of hair in front of the
face is painted over. Per track the plate's face is seen in face-aligned (224 crop) space on a
fixed sample of the track's frames, in Oklab (perceptual: distances read as colour differences):

* moving occluders: the per-pixel median of the samples is the face's robust appearance, and the
  median distance of the samples to it says how much each pixel varies by itself (eyes, mouth,
  hair edges). On a frame, a pixel further from the median than that by a margin (after the
  frame's own global light shift is removed) is covered. Anything present on fewer than half of
  the sampled frames does not enter the median, so it is caught wherever it appears. A pixel
  is compared with the median pixels within PLACEMENT_SLACK of it (landmark error is not an
  occluder), weaker differences connected to an occluder join it, small holes are filled, its
  exact edge is found on barely blurred pixels, and a frame whose landmarks it dragged is placed
  again on the landmarks it leaves free;
* static occluders (glasses, a microphone held all shot, a fringe): on the median face, pixels
  whose chromaticity (a/L, b/L: shading does not move it) or lightness is far from the crop's own
  skin model (robust statistics of the skin outside brows, eyes and mouth) are not skin. They
  are seeded outside the natural features (eye openings, brows, mouth, nostrils; the nose bridge
  is tested) and followed into the brows; each frame then finds their exact edge on its own,
  barely blurred pixels, since the median is softened by the samples' alignment.

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
EDGE_BLUR_SIGMA = 0.7  # crop px: a static occluder's edge is found on the frame's own, barely blurred pixels
PLACEMENT_SLACK = 2  # crop px a face may sit off the median face before its own edges read as covered
MARGIN = 0.06  # Oklab distance a pixel must exceed beyond its own variation (~5 dE)
SPREAD_CAP = 0.025  # Oklab: a found occluder grows into pixels that vary by themselves up to this much
SPREAD_GAIN = 4.0  # how many of its typical distances from the median a pixel may wander
MAX_HOLE = 250  # crop px: enclosed gaps in an occluder smaller than this are part of it
MIN_AREA = 120  # crop px: smaller specks are noise, not occluders
REFINE_MARGIN = 12  # crop px around a moving occluder whose landmarks are not trusted for placement
REFINE_MIN_POINTS = 12  # fewer free landmarks than this: the placement by all of them stands
REGISTER_ROUNDS = 2  # pixel registrations of a frame with a moving occluder (each kept if it explains more)
REGISTER_MIN_PIXELS = 2000  # crop px of free face to register on; fewer: the landmark placement stands
REGISTER_STEPS = 60  # ECC iterations per registration
# crop px a moving occluder must cover to be registered around: one big enough to drag the landmarks
# (a bar across the eyes covers 7500-13000); the misplaced edges and specks of clean frames stay under
# 1000 and would only be moved about by it
REGISTER_MIN_COVER = 1500
GUARD = 2  # crop px the final matte stays off a found occluder, so resampling to the plate keeps it exact
HOLD_FRACTION = 0.5  # of the occluder limit: weaker differences connected to a found occluder join it
GROW_REACH = 8  # crop px past a found moving occluder where its faint parts are sought
GROW_MIN_AREA = 600  # crop px: only found objects this large grow (a misplaced jaw edge is smaller)
GROW_FLOOR = 0.02  # Oklab: a faint part must differ from the face by this much (noise stays face)
MOVING_REACH = 4  # crop px around a moving occluder found on blurred pixels where its sharp edge is sought
EDGE_SIGMA = 2.0  # crop px: the final matte's feather off a found occluder (outside its guard)
LAYER_SIGMA = 0.6  # crop px: the occlusion layer's own feather (its 0.5 contour stays on the edge)
LIGHT_SIGMA = 12.0  # crop px: the reach of the skin's local light (shading is wider, rims are thinner)
SKIN_Z = 5.0  # robust z-score beyond which a median-face pixel is not the crop's skin
FRAME_Z = 4.0  # the score a frame's own pixel needs, near a static occluder, to be part of it
CORE_Z = 8.0  # skin score of a static occluder's own pixels, that its local colour is taken from
CORE_SIGMA = 3.0  # crop px: the reach of an occluder's local colour
STATIC_REACH = 4  # crop px around a static occluder where each frame finds its exact edge
REGION = MaskParams(erode=-40, sigma_x=0.0, sigma_y=0.0, brow_factor=2.7)  # the matte's reach, unfeathered
FEATURE_GROW = {"eyes": 7, "brows": 5, "mouth": 9, "nose": 7}  # crop px (ellipse sizes) past each outline
SKIN_INSET = 7  # crop px a static seed stays inside the landmark hull (its edge is background or hair)
REACH_INSET = 3  # crop px from the hull's edge that a seeded static occluder may reach


def _lab(crop: np.ndarray, sigma: float = BLUR_SIGMA) -> np.ndarray:
    lab = to_oklab(np.clip(crop, 0.0, 1.0)).astype(np.float32)
    return cv2.GaussianBlur(lab, (0, 0), sigma)


def _ellipse(size: int) -> np.ndarray:
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))


def _distances(lab: np.ndarray, median: np.ndarray, region: np.ndarray, reach: int = 0) -> np.ndarray:
    """Per-pixel Oklab distance to the median after removing the frame's global shift inside `region`.

    With `reach`, each pixel takes its distance to the nearest median pixel within `reach` crop px:
    a face placed a pixel or two off (landmark error) does not show its own brow and hair edges
    as occluders, while an occluder, far from everything the face has around it, still shows.
    """
    shift = _shift(lab, median, region)
    if reach <= 0:
        return np.linalg.norm(lab - median - shift, axis=-1)
    height, width = median.shape[:2]
    padded = cv2.copyMakeBorder(median + shift, reach, reach, reach, reach, cv2.BORDER_REPLICATE)
    best = np.full((height, width), np.inf, np.float32)
    for dy in range(-reach, reach + 1):
        for dx in range(-reach, reach + 1):
            if dx * dx + dy * dy > reach * reach:
                continue
            moved = padded[reach + dy : reach + dy + height, reach + dx : reach + dx + width]
            np.minimum(best, np.linalg.norm(lab - moved, axis=-1), out=best)
    return best


def _shift(lab: np.ndarray, median: np.ndarray, region: np.ndarray) -> np.ndarray:
    """The frame's global Oklab shift from the median inside `region` (its light, not an occluder)."""
    return np.median((lab - median)[region], axis=0) if region.any() else np.zeros(3, np.float32)


def _weighted_blur(
    values: np.ndarray, weight: np.ndarray, sigma: float, fallback: np.ndarray | float
) -> np.ndarray:
    """Gaussian mean of `values` (h×w or h×w×c) under `weight` (h×w) around each pixel; `fallback`
    where no weight is near."""
    spread = weight[..., None] if values.ndim == 3 else weight
    num = cv2.GaussianBlur(values * spread, (0, 0), sigma)
    den = cv2.GaussianBlur(weight, (0, 0), sigma)
    den = den[..., None] if values.ndim == 3 else den
    return np.where(den > 1e-3, num / np.maximum(den, 1e-3), fallback).astype(np.float32)


def _local_mean(lab: np.ndarray, where: np.ndarray, sigma: float) -> np.ndarray:
    """Mean colour of the `where` pixels near each pixel (Gaussian weights); their mean where none are."""
    fallback = lab[where].mean(axis=0) if where.any() else lab.reshape(-1, 3).mean(axis=0)
    return _weighted_blur(lab, where.astype(np.float32), sigma, fallback)


def nearer_occluder(lab: np.ndarray, face_distance: np.ndarray, core: np.ndarray) -> np.ndarray:
    """Pixels of `lab` closer to the occluder's local colour (from its `core` pixels) than the
    `face_distance` they lie from the face.

    An edge pixel mixes the occluder and the face behind it; taking it where the occluder
    dominates puts the found edge halfway, where the plate's own edge is, while a fixed
    threshold on the distance from the face would take every pixel the occluder tints.
    """
    occluder = _local_mean(lab, core, CORE_SIGMA)
    return np.linalg.norm(lab - occluder, axis=-1) < face_distance


def clean(mask: np.ndarray, region: np.ndarray) -> np.ndarray:
    """Binary occluder: specks opened away, holes closed, components under MIN_AREA dropped."""
    binary = (mask & region).astype(np.uint8)
    binary = cv2.morphologyEx(binary, cv2.MORPH_OPEN, _ellipse(3))
    binary = cv2.morphologyEx(binary, cv2.MORPH_CLOSE, _ellipse(5))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=8)
    keep = np.zeros(count, bool)
    keep[1:] = stats[1:, cv2.CC_STAT_AREA] >= MIN_AREA
    binary = keep[labels].astype(np.uint8)
    # small enclosed holes (an eye or a lip corner under a hand, whose own variation hid it) are
    # filled; large ones, like the eye inside a spectacle rim, are real and stay
    count, labels, stats, _ = cv2.connectedComponentsWithStats(1 - binary, connectivity=4)
    border = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    hole = stats[:, cv2.CC_STAT_AREA] < MAX_HOLE
    hole[border] = False
    binary = np.maximum(binary, hole[labels].astype(np.uint8))
    return binary.astype(bool)


def soften(binary: np.ndarray, sigma: float = LAYER_SIGMA) -> np.ndarray:
    """Soft occlusion matte: exactly 1.0 on the occluder, a float feather of `sigma` crop px outside.

    The layer's feather is short, so its half-value contour stays on the occluder's edge after
    the paste resamples it to the plate (a wide one would push that contour out by a pixel).
    """
    hard = binary.astype(np.float32)
    if not binary.any():
        return hard
    soft = cv2.GaussianBlur(hard, (0, 0), sigma)
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
    sharp_median: np.ndarray  # the same, of samples barely blurred (EDGE_BLUR_SIGMA): occluder edges
    spread: np.ndarray  # 224×224 median distance of the samples to it (the pixel's own variation)
    region: np.ndarray  # 224×224 bool: where a face pixel can be (generous hull of the median face)
    static_zone: np.ndarray  # 224×224 bool: around the median face's non-skin occluders (frames refine them)
    skin: SkinModel  # the median face's skin, that static occluders are told from
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
    return _warp(image, similarity(marks.points, shape))


@dataclass(frozen=True)
class SkinModel:
    """The median face's skin: where it is, and the robust centre and spread of its features.

    The features are (L − local skin light, a/L, b/L): lightness is taken against the skin's own
    light around each pixel (a wide weighted blur of the skin), so shading across a strongly lit
    face is not mistaken for an occluder, while a dark rim or a bright bar still is.
    """

    weight: np.ndarray  # 224×224 float32: the skin pixels the local light is taken from
    centre: np.ndarray
    spread: np.ndarray


def _local_light(lightness: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Weighted wide blur of `lightness` over `weight`: the skin's light around each pixel."""
    fallback = float(np.median(lightness[weight > 0.5])) if (weight > 0.5).any() else float(lightness.mean())
    return _weighted_blur(lightness, weight, LIGHT_SIGMA, fallback)


def _skin_features(lab: np.ndarray, weight: np.ndarray) -> np.ndarray:
    chroma = _chromaticity(lab)
    chroma[..., 0] = lab[..., 0] - _local_light(lab[..., 0], weight)
    return chroma


def skin_model(median: np.ndarray, marks: Landmarks) -> SkinModel:
    """The skin of the median face (brows, eyes and mouth left out, and pixels far darker than it)."""
    regions = region_masks(marks, median.shape[0])
    features = np.maximum(np.maximum(regions["brows"], regions["eyes"]), regions["mouth"])
    features = cv2.dilate(features, _ellipse(15))
    skin = cv2.erode(regions["skin"], _ellipse(9)) * (1.0 - features) > 0.5
    if skin.sum() < 50:
        skin = np.ones(median.shape[:2], bool)
    lightness = median[..., 0]
    skin &= lightness > 0.5 * np.median(lightness[skin])  # a dark rim on the skin does not light it
    weight = skin.astype(np.float32)
    values = _skin_features(median, weight)[skin]
    centre = np.median(values, axis=0)
    spread = 1.4826 * np.median(np.abs(values - centre), axis=0)
    return SkinModel(weight, centre, np.maximum(spread, (0.02, 0.01, 0.01)))


def _chromaticity(lab: np.ndarray) -> np.ndarray:
    light = np.maximum(lab[..., :1], 0.05)
    return np.concatenate([lab[..., :1], lab[..., 1:] / light], axis=-1)


def _lower_half(mask: np.ndarray) -> np.ndarray:
    rows = np.nonzero(mask.any(axis=1))[0]
    lower = np.zeros_like(mask)
    if len(rows):
        middle = (rows[0] + rows[-1] + 1) // 2
        lower[middle:] = mask[middle:]
    return lower


def natural_features(regions: dict[str, np.ndarray], brows: bool = True) -> np.ndarray:
    """Where a face is dark or coloured by nature: eye openings, brows, mouth and nostrils, a little grown.

    The upper nose (the bridge, where glasses sit) stays in the skin test; each margin covers
    the landmarks' own error on that feature (lashes, brow hair past its outline, lip edges).
    """
    grown = [
        cv2.dilate(regions["eyes"], _ellipse(FEATURE_GROW["eyes"])),
        cv2.dilate(regions["brows"], _ellipse(FEATURE_GROW["brows"])) * float(brows),
        cv2.dilate(regions["mouth"], _ellipse(FEATURE_GROW["mouth"])),
        cv2.dilate(_lower_half(regions["nose"]), _ellipse(FEATURE_GROW["nose"])),
    ]
    return np.max(np.stack(grown), axis=0) > 0


def skin_score(lab: np.ndarray, skin: SkinModel) -> np.ndarray:
    """Robust z-score of each pixel of `lab` (in the reference frame) against the skin model."""
    return np.sqrt((((_skin_features(lab, skin.weight) - skin.centre) / skin.spread) ** 2).sum(-1))


def static_occluders(
    median: np.ndarray, marks: Landmarks, region: np.ndarray, skin: SkinModel
) -> tuple[np.ndarray, np.ndarray]:
    """(occluder, zone): pixels of the median face that are not the crop's own skin, and where a
    frame may refine them.

    Found outside the facial features, then followed into the brows: a rim or a fringe that
    reaches a brow is one object with it, and offline nothing tells the two apart, so the brow
    under a found occluder is kept from the plate too. Eye openings, mouth and nostrils stay out.
    The zone is the occluder grown by STATIC_REACH outside those: each frame finds the exact edge
    of the occluder there on its own pixels, which the median (blurred by alignment) cannot.
    """
    z = skin_score(median, skin)
    regions = region_masks(marks, median.shape[0])
    parts = ("skin", "brows", "eyes", "mouth", "nose")
    hull = np.minimum(np.sum([regions[name] for name in parts], axis=0), 1.0)
    inside = cv2.erode(hull, _ellipse(2 * REACH_INSET + 1)) > 0
    core = cv2.erode(hull, _ellipse(2 * SKIN_INSET + 1)) > 0
    seed = clean((z > SKIN_Z) & ~natural_features(regions) & core, region)
    if not seed.any():
        return seed, seed
    eyes_mouth = natural_features(regions, brows=False)
    brows = cv2.dilate(regions["brows"], _ellipse(FEATURE_GROW["brows"])) > 0
    reachable = (z > SKIN_Z) & inside & brows & ~eyes_mouth
    found = clean(_touching(reachable, seed) | seed, region)
    zone = cv2.dilate(found.astype(np.uint8), _ellipse(2 * STATIC_REACH + 1)) > 0
    return found, zone & inside & ~eyes_mouth & region


def build_appearance(crops: Sequence[np.ndarray], marks: Sequence[Landmarks]) -> Appearance:
    """The appearance of a track from model-space crops of a fixed sample of its frames.

    `marks` are the landmarks of each crop. Deterministic: the same samples give the same bits,
    which keeps chunks equal to a whole render.
    """
    shape = np.median(np.stack([m.points for m in marks]), axis=0).astype(np.float32)
    reference = Landmarks(shape, marks[0].layout)
    labs = np.stack([_to_reference(_lab(c), m, shape) for c, m in zip(crops, marks, strict=True)])
    median = np.median(labs, axis=0).astype(np.float32)
    sharp = [_to_reference(_lab(c, EDGE_BLUR_SIGMA), m, shape) for c, m in zip(crops, marks, strict=True)]
    sharp_median = np.median(np.stack(sharp), axis=0).astype(np.float32)
    region = face_mask(reference, REGION, median.shape[0]) > 0
    distances = np.stack([_distances(lab, median, region) for lab in labs])
    spread = np.median(distances, axis=0).astype(np.float32)
    skin = skin_model(median, reference)
    _, zone = static_occluders(median, reference, region, skin)
    return Appearance(shape, median, sharp_median, spread, region, zone, skin, len(crops))


def _warp(image: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    size = image.shape[1], image.shape[0]
    return cv2.warpAffine(image, matrix, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def _touching(candidates: np.ndarray, seed: np.ndarray) -> np.ndarray:
    """The connected parts of `candidates` (bool) that overlap `seed` (bool)."""
    count, labels = cv2.connectedComponents((candidates | seed).astype(np.uint8), connectivity=8)
    hit = np.zeros(count, bool)
    hit[np.unique(labels[seed])] = True
    hit[0] = False
    return hit[labels]


def _large(mask: np.ndarray) -> np.ndarray:
    """The connected parts of `mask` of GROW_MIN_AREA px or more: found objects, not misplaced edges."""
    _, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    keep = stats[:, cv2.CC_STAT_AREA] >= GROW_MIN_AREA
    keep[0] = False
    return keep[labels]


def _covered(appearance: Appearance, lab: np.ndarray, sharp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(moving, static) occluders of one frame already in the reference frame (binary, cleaned)."""
    limit = MARGIN + SPREAD_GAIN * appearance.spread
    distance = _distances(lab, appearance.median, appearance.region, PLACEMENT_SLACK)
    coarse = clean(distance > limit, appearance.region)
    # followed into weaker differences connected to it (a hand's skin-toned parts), also where
    # the face varies a lot by itself (a thumb over the moving jaw line)
    weak_limit = HOLD_FRACTION * (MARGIN + SPREAD_GAIN * np.minimum(appearance.spread, SPREAD_CAP))
    if coarse.any():
        weak = (distance > weak_limit) & appearance.region
        coarse = clean(_touching(weak, coarse) | coarse, appearance.region)
    if coarse.any():
        coarse = _grown(appearance, sharp, _sharp_edge(appearance, sharp, coarse, limit))
    return coarse, _static_edge(appearance, sharp)


def _sharp_edge(
    appearance: Appearance, sharp: np.ndarray, coarse: np.ndarray, limit: np.ndarray
) -> np.ndarray:
    """`coarse` (found on blurred pixels, which spread it past its edge) with its edge found again
    on the barely blurred `sharp` pixels within MOVING_REACH: halfway between occluder and face."""
    zone = cv2.dilate(coarse.astype(np.uint8), _ellipse(2 * MOVING_REACH + 1)) > 0
    face = _distances(sharp, appearance.sharp_median, appearance.region)
    core = cv2.erode(coarse.astype(np.uint8), _ellipse(5)) > 0
    edge = zone & (face > limit) & nearer_occluder(sharp, face, core if core.any() else coarse)
    inner = cv2.erode(coarse.astype(np.uint8), _ellipse(2 * MOVING_REACH + 1)) > 0
    return clean(inner | edge, appearance.region)


def _grown(appearance: Appearance, sharp: np.ndarray, moving: np.ndarray) -> np.ndarray:
    """`moving` followed into its faint parts (a skin-toned fingertip): pixels within GROW_REACH that
    differ from every median pixel near them by GROW_FLOOR and look more like it than like the face."""
    if not moving.any():
        return moving
    reach = cv2.dilate(moving.astype(np.uint8), _ellipse(2 * GROW_REACH + 1)) > 0
    slack = _distances(sharp, appearance.sharp_median, appearance.region, PLACEMENT_SLACK)
    faint = reach & appearance.region & (slack > GROW_FLOOR)
    core = cv2.erode(moving.astype(np.uint8), _ellipse(3)) > 0
    faint &= nearer_occluder(sharp, slack, core if core.any() else moving)
    return clean(_touching(faint, _large(moving)) | moving, appearance.region)


def _static_edge(appearance: Appearance, sharp: np.ndarray) -> np.ndarray:
    """The static occluders in this frame: in their zone, pixels far from the skin model and nearer
    the occluder's local colour than the skin's around them (σ LIGHT_SIGMA / 2)."""
    score = skin_score(sharp, appearance.skin)
    static = appearance.static_zone & (score > FRAME_Z)
    if static.any():
        skin = (appearance.skin.weight > 0.5) & (score < FRAME_Z) & ~appearance.static_zone
        core = static & (score > CORE_Z)
        face = np.linalg.norm(sharp - _local_mean(sharp, skin, LIGHT_SIGMA / 2), axis=-1)
        static &= nearer_occluder(sharp, face, core if core.any() else static)
    return clean(static, appearance.region)


def refine(appearance: Appearance, marks: Landmarks, matrix: np.ndarray, occluded: np.ndarray) -> np.ndarray:
    """`matrix` (frame crop → reference) fitted again on the landmarks an occluder does not cover.

    An occluder disturbs the landmarks under it (a hand over the mouth drags the mouth and chin
    points), and a face misplaced by a pixel or two shows its own brows and hair edges as
    occluders. The landmarks whose reference position lies on or near the occluder are left out.
    """
    near = cv2.dilate(occluded.astype(np.uint8), _ellipse(2 * REFINE_MARGIN + 1)) > 0
    where = np.round(marks.points @ matrix[:, :2].T + matrix[:, 2]).astype(int)
    size = near.shape[0]
    inside = ((where >= 0) & (where < size)).all(axis=1)
    free = inside.copy()
    free[inside] = ~near[where[inside, 1], where[inside, 0]]
    if free.sum() < max(REFINE_MIN_POINTS, len(free) // 3) or free.all():
        return matrix
    return similarity(marks.points[free], appearance.shape[free])


def estimate(appearance: Appearance, seen: np.ndarray, marks: Landmarks) -> np.ndarray:
    """Soft occlusion matte (224×224 float32, 1 = covered) of one frame's plate crop `seen`.

    `marks` are the landmarks of `seen`: the frame is compared with the track's appearance in
    the reference frame (placed by them, then refined on the pixels), and the occluder found
    there is brought back to this crop.
    """
    blurred, barely = _lab(seen), _lab(seen, EDGE_BLUR_SIGMA)
    matrix = similarity(marks.points, appearance.shape)
    moving, static = _covered(appearance, _warp(blurred, matrix), _warp(barely, matrix))
    better = refine(appearance, marks, matrix, moving)
    if better is not matrix:  # kept when it explains more of the face: less left over as covered
        again = _covered(appearance, _warp(blurred, better), _warp(barely, better))
        if again[0].sum() + again[1].sum() < moving.sum() + static.sum():
            matrix, (moving, static) = better, again
    # An occluder over the eyes moves the detector's key points and the landmarks everywhere, so
    # the placement is also corrected on the pixels it leaves free (kept by the same rule).
    for _ in range(REGISTER_ROUNDS):
        large = moving.sum() >= REGISTER_MIN_COVER
        better = registered(appearance, blurred, matrix, moving | static) if large else matrix
        if better is matrix:
            break
        again = _covered(appearance, _warp(blurred, better), _warp(barely, better))
        if again[0].sum() + again[1].sum() >= moving.sum() + static.sum():
            break
        matrix, (moving, static) = better, again
    found = (moving | static).astype(np.uint8)
    back = cv2.invertAffineTransform(matrix)
    size = seen.shape[1], seen.shape[0]
    crop = cv2.warpAffine(found, back, size, flags=cv2.INTER_NEAREST, borderMode=cv2.BORDER_CONSTANT)
    return soften(crop > 0)


def registered(
    appearance: Appearance, blurred: np.ndarray, matrix: np.ndarray, covered: np.ndarray
) -> np.ndarray:
    """`matrix` (frame crop → reference) corrected by matching the frame's lightness to the median
    face's (OpenCV's ECC, affine) on the face pixels away from `covered`; `matrix` itself when too
    few are left or the fit fails.

    Landmarks are regressed from the whole face: an occluder across both eyes moves every one of
    them (6-10 crop px on the test shots), and the face misplaced by that shows its hair line and
    jaw as occluders. The pixels it leaves free are not moved by it.
    """
    near = cv2.dilate(covered.astype(np.uint8), _ellipse(2 * REFINE_MARGIN + 1)) > 0
    use = appearance.region & ~near
    if use.sum() < REGISTER_MIN_PIXELS:
        return matrix
    frame = np.ascontiguousarray(_warp(blurred, matrix)[..., 0])
    template = np.ascontiguousarray(appearance.median[..., 0])
    criteria = (cv2.TERM_CRITERIA_COUNT | cv2.TERM_CRITERIA_EPS, REGISTER_STEPS, 1e-5)
    try:
        start = np.eye(2, 3, dtype=np.float32)
        mask = use.astype(np.uint8)
        _, warp = cv2.findTransformECC(template, frame, start, cv2.MOTION_AFFINE, criteria, mask, 1)
    except cv2.error:  # no convergence (a flat or fully covered face)
        return matrix
    # ECC's warp takes reference pixels to the placed frame's: reference ← placed is its inverse.
    correction = np.vstack([cv2.invertAffineTransform(warp.astype(np.float64)), (0.0, 0.0, 1.0)])
    return (correction @ np.vstack([matrix, (0.0, 0.0, 1.0)]))[:2]


def guarded(occlusion: np.ndarray) -> np.ndarray:
    """What the final matte takes out: the occluder (where `occlusion` is 1) grown by GUARD crop px,
    with a wider feather (EDGE_SIGMA) outside.

    The layer shows the occluder where it is; the matte, resampled from the crop to the plate
    with a linear filter, would bleed one plate pixel onto it, so it keeps a guard band off it.
    """
    wide = soften(occlusion >= 1.0, EDGE_SIGMA)
    return cv2.dilate(wide, _ellipse(2 * GUARD + 1)) if GUARD > 0 else wide


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
