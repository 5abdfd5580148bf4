"""The offline `morph` swapper: the source face's texture warped onto each target's face mesh.

No generator weights can be had offline (OFFLINE_ASSETS §0), yet the engine, the matte and the
pipeline around them need a swapper that really moves one person's face onto another. This one is
classical: MediaPipe's 468-point mesh on source and target, a piecewise-affine warp over one fixed
triangulation, lighting matched to the target in linear light, feathered into the target crop.
Outside the face the crop is the target, bit for bit.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import cv2
import numpy as np
from scipy.spatial import Delaunay

from ghost_core.color import ColorPath, texture_path
from ghost_core.errors import InputError, UsageError
from ghost_core.faces.align import CROP_SIZE
from ghost_core.faces.landmarks import FACE_MESH_468, FaceMeshLandmarker
from ghost_core.faces.mesh_mirror import MESH_MIRROR
from ghost_core.swappers.base import Swapper

if TYPE_CHECKING:
    from ghost_core.knobs import ShotSettings


@dataclass(frozen=True)
class MorphIdentity:
    """One prepared source: its crop in linear light, its mesh points and the fixed triangulation."""

    crop: np.ndarray
    linear: np.ndarray
    points: np.ndarray
    triangles: np.ndarray
    score: float
    index: int
    hidden: np.ndarray  # per triangle: turned away in the source, so drawn from its mirror twin


@dataclass
class MorphSettings:
    """Tuning of the blend; defaults chosen on the aligned test crops (docs/faces.md, "Morph swapper")."""

    # The mesh's face presence a target crop needs, below which it is returned unchanged (no face).
    # The render only hands over faces its detector tracked and its pose gate let through, so this
    # only has to tell "no face at all" (non-face crops score under 0.005) from a covered one: a
    # bar across both eyes scores 0.03-0.41 (its mesh is 6-10 px off, as much as on covered faces
    # that still score 0.9) and used to skip those frames, so the actor's own face popped back in.
    min_presence: float = 0.01
    source_presence: float = 0.5  # a source photo must show its face clearly (no occluder)
    brow_lift: float = 1.0  # GHOST-style brow push (brow += lift·(brow − eye)) so the mask covers the brows
    erode: int = 5  # px, pulls the hard mask edge inside the face contour
    feather: float = 5.0  # Gaussian sigma of the mask edge, px
    shading_sigma: float = 15.0  # px: lighting detail finer than this is the source's, coarser the target's
    gain_limits: tuple[float, float] = (0.25, 4.0)  # bounds of the per-pixel linear-light ratio
    # A turned source shows its far cheek foreshortened, with hair or background at its edge. When
    # one half of the source's face covers under `mirror_below` of the other half's area, that half
    # is drawn from the other, flipped (0 turns this off).
    mirror_below: float = 0.6
    # A source's cheek is foreshortened towards its silhouette, where its pixels mix with hair or
    # background; on a face that turns less, those slivers are stretched over whole target pixels
    # (grey or blue stripes at the far cheek). Target pixels drawn from a triangle stretched over
    # `max_stretch` times the face's median, and reached from outside the face through such
    # pixels, keep the plate (0 turns this off).
    max_stretch: float = 3.0


def _frontality(points: np.ndarray) -> float:
    """0 for a face looking straight at the camera, growing as it turns (nose off the jaw midline)."""
    layout = FACE_MESH_468
    left = points[list(layout.jaw_left)].mean(0)
    right = points[list(layout.jaw_right)].mean(0)
    width = max(float(right[0] - left[0]), 1.0)
    nose_tip = points[1, 0]  # mesh index 1 is the tip of the nose
    return abs(float(nose_tip - (left[0] + right[0]) / 2)) / width


def _areas(points: np.ndarray, triangles: np.ndarray) -> np.ndarray:
    return _area(points[triangles])


def _area(p: np.ndarray) -> np.ndarray:
    """Areas of T×3×2 triangles."""
    cross = (p[:, 1, 0] - p[:, 0, 0]) * (p[:, 2, 1] - p[:, 0, 1]) - (p[:, 2, 0] - p[:, 0, 0]) * (
        p[:, 1, 1] - p[:, 0, 1]
    )
    return 0.5 * np.abs(cross)


def hidden_triangles(points: np.ndarray, triangles: np.ndarray, below: float) -> np.ndarray:
    """The far half of a turned source: every triangle of the half whose area is under `below` of
    its mirror half's (none when the source is frontal enough). A whole half, not single triangles,
    so the fill is one coherent mirrored cheek with a single seam at the face's midline."""
    if below <= 0:
        return np.zeros(len(triangles), bool)
    twin = np.asarray(MESH_MIRROR, np.int64)
    # A vertex is on the image-left half when it lies left of its own twin; midline points are neither.
    side = np.sign(points[twin, 0] - points[:, 0])  # +1: left half, −1: right half, 0: midline
    votes = side[triangles].sum(axis=1)
    areas = _areas(points, triangles)
    left, right = areas[votes > 0].sum(), areas[votes < 0].sum()
    if min(left, right) >= below * max(left, right):
        return np.zeros(len(triangles), bool)
    return votes < 0 if right < left else votes > 0


def _low_pass(image: np.ndarray, sigma: float, factor: int = 4) -> np.ndarray:
    """Gaussian low-pass computed at 1/`factor` size (area-averaged down, bilinear up)."""
    h, w = image.shape[:2]
    size = (max(1, round(w / factor)), max(1, round(h / factor)))
    small = cv2.resize(image, size, interpolation=cv2.INTER_AREA)  # at most 4 channels
    small = cv2.GaussianBlur(small, (0, 0), sigma / factor, borderType=cv2.BORDER_CONSTANT)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR).reshape(h, w, -1)


class MorphSwapper(Swapper):
    """Dense-landmark face morph: needs no downloaded weights. Not thread-safe (one mesh interpreter)."""

    name = "morph"

    def __init__(
        self,
        landmarker: FaceMeshLandmarker | None = None,
        color: ColorPath | None = None,
        settings: MorphSettings | None = None,
    ) -> None:
        self.landmarker = landmarker or FaceMeshLandmarker()
        self.color = color or texture_path()
        self.settings = settings or MorphSettings()
        # The crop's pixel centres in continuous coordinates (pixel i spans i..i+1).
        grid = np.mgrid[0:CROP_SIZE, 0:CROP_SIZE].astype(np.float32) + np.float32(0.5)
        self._centres = (grid[1], grid[0])

    @classmethod
    def from_settings(cls, settings: ShotSettings) -> MorphSwapper:
        """The `morph` registry entry: needs nothing from the shot (the matte knobs act later)."""
        return cls()

    # ---- identity --------------------------------------------------------------------------------

    def prepare(self, photos: Sequence[np.ndarray]) -> MorphIdentity:
        """Aligned 224 crops of the source → the clearest, most frontal one, with its mesh."""
        crops = np.asarray(photos, np.float32)
        if crops.ndim == 3:
            crops = crops[None]
        if crops.ndim != 4 or crops.shape[1:] != (CROP_SIZE, CROP_SIZE, 3) or len(crops) == 0:
            raise UsageError(
                f"morph needs N×{CROP_SIZE}×{CROP_SIZE}×3 aligned source crops, got {crops.shape}"
            )
        if not np.isfinite(crops).all():
            raise InputError("source crops contain NaN or Inf pixels; check the source photos")
        results, scores = self.landmarker.landmarks_and_scores(crops)
        best = float(scores.max())
        if best < self.settings.source_presence:
            raise InputError(
                f"no face found in the {len(crops)} source crop(s) (best face-mesh presence {best:.2f}); "
                "use a photo with a clear, front-facing face"
            )
        # Presence saturates near 1 for any clear face; among those, the most frontal covers both sides.
        candidates = [i for i, s in enumerate(scores) if s >= best - 0.01]
        index = min(candidates, key=lambda i: _frontality(results[i].points))
        crop = np.clip(crops[index], 0.0, 1.0)
        points = results[index].points.astype(np.float64)
        triangles = Delaunay(points).simplices.astype(np.int32)
        hidden = hidden_triangles(points, triangles, self.settings.mirror_below)
        return MorphIdentity(
            crop=crop,
            linear=self.color.from_model(np.ascontiguousarray(crop)),
            points=points,
            triangles=triangles,
            score=float(scores[index]),
            index=index,
            hidden=hidden,
        )

    # ---- swap --------------------------------------------------------------------------------------

    def swap(self, crops: np.ndarray, identity: MorphIdentity) -> np.ndarray:
        """N×224×224×3 target crops → the source face on each, float32 0..1; faceless crops unchanged."""
        if not isinstance(identity, MorphIdentity):
            raise UsageError("morph.swap needs the identity returned by MorphSwapper.prepare")
        crops = np.asarray(crops, np.float32)
        single = crops.ndim == 3
        if single:
            crops = crops[None]
        if crops.ndim != 4 or crops.shape[1:] != (CROP_SIZE, CROP_SIZE, 3):
            raise UsageError(f"morph needs N×{CROP_SIZE}×{CROP_SIZE}×3 target crops, got {crops.shape}")
        results, scores = self.landmarker.landmarks_and_scores(crops)
        out = np.empty_like(crops)
        for i, (crop, lm, score) in enumerate(zip(crops, results, scores, strict=True)):
            target = np.clip(crop, 0.0, 1.0)
            if score < self.settings.min_presence:
                out[i] = target
                continue
            out[i] = self._swap_one(target, lm.points.astype(np.float64), identity)
        return out[0] if single else out

    def _swap_one(self, target: np.ndarray, points: np.ndarray, identity: MorphIdentity) -> np.ndarray:
        settings = self.settings
        warped, covered = self._warp(identity, points)
        hard = self._face_mask(points) & covered
        if settings.erode > 0:
            kernel = np.ones((2 * settings.erode + 1, 2 * settings.erode + 1), np.uint8)
            hard = cv2.erode(hard.astype(np.uint8), kernel).astype(bool)
        if not hard.any():
            return target
        # Only the face's box (plus the feather's reach) changes; everything else stays the target's bits.
        reach = int(np.ceil(3 * settings.feather)) if settings.feather > 0 else 0
        ys, xs = np.nonzero(hard)
        y0, y1 = max(0, ys.min() - reach - 1), min(CROP_SIZE, ys.max() + reach + 2)
        x0, x1 = max(0, xs.min() - reach - 1), min(CROP_SIZE, xs.max() + reach + 2)
        box = (slice(y0, y1), slice(x0, x1))
        region = np.ascontiguousarray(target[box])
        matched = self._match_light(warped[box], self.color.from_model(region), hard[box])
        swapped = self.color.to_model(matched)  # clipped to 0..1
        # The feather reaches past the source's face: there the warp holds no face (hair, a screen,
        # the crop's corner), so the blend fades to the target instead of to that.
        swapped = np.where(covered[box][..., None], swapped, region)
        mask = hard[box].astype(np.float32)
        if reach:
            size = 2 * reach + 1
            mask = cv2.GaussianBlur(mask, (size, size), settings.feather, borderType=cv2.BORDER_CONSTANT)
        out = target.copy()
        # target + mask·(swap − target): exactly the target wherever the mask is 0.
        out[box] = np.clip(region + mask[..., None] * (swapped - region), 0.0, 1.0)
        return out

    def _warp(self, identity: MorphIdentity, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Piecewise-affine warp of the source (linear light) onto the target mesh; and where it landed.

        Triangles the source shows turned away (`identity.hidden`) sample the horizontally flipped
        source at their mirror twin instead, so a far cheek gets skin, not hair or background.
        """
        tri = identity.triangles
        dst = points[tri]  # T×3×2 target vertices
        src = identity.points[tri]
        hidden = identity.hidden
        if hidden.any():
            # In the flipped source, the twin of vertex v sits at (W − x_twin(v), y_twin(v)).
            twins = identity.points[np.asarray(MESH_MIRROR, np.int64)[tri[hidden]]]
            src = src.copy()
            src[hidden] = np.stack([CROP_SIZE - twins[..., 0], twins[..., 1]], axis=-1)
        # Per triangle, the affine map target → source: [x y 1] @ A = [u v].
        homogeneous = np.concatenate([dst, np.ones((len(tri), 3, 1))], axis=2)
        usable = np.abs(np.linalg.det(homogeneous)) > 1e-6
        affine = np.zeros((len(tri) + 1, 6), np.float32)  # last row: "no triangle"
        affine[:-1][usable] = np.linalg.solve(homogeneous[usable], src[usable]).reshape(-1, 6)
        # Which triangle covers each target pixel (cv2 rasterises at integer pixel centres, 1/16 px
        # precision); -1 picks the last, all-zero row of `affine`.
        ids = np.full((CROP_SIZE, CROP_SIZE), -1, np.int32)
        fixed = np.round((dst - 0.5) * 16).astype(np.int32)
        for t in np.flatnonzero(usable):
            cv2.fillConvexPoly(ids, fixed[t], int(t), lineType=cv2.LINE_8, shift=4)
        coef = affine[ids]  # H×W×6, rows of A flattened: (a_xu, a_xv, a_yu, a_yv, b_u, b_v)
        x, y = self._centres
        map_x = coef[..., 0] * x + coef[..., 2] * y + coef[..., 4] - np.float32(0.5)
        map_y = coef[..., 1] * x + coef[..., 3] * y + coef[..., 5] - np.float32(0.5)
        warped = cv2.remap(
            identity.linear, map_x, map_y, interpolation=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
        )
        if hidden.any():
            flipped = np.ascontiguousarray(identity.linear[:, ::-1])
            mirrored = cv2.remap(
                flipped, map_x, map_y, interpolation=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
            )
            from_twin = np.append(hidden, False)[ids]
            warped = np.where(from_twin[..., None], mirrored, warped)
        return warped, self._landed(ids, dst, src)

    def _landed(self, ids: np.ndarray, dst: np.ndarray, src: np.ndarray) -> np.ndarray:
        """Where the warp lands source face: triangles cover the pixel, and it is not on a sliver
        of the source's silhouette stretched over the target's edge (`max_stretch`)."""
        covered = ids >= 0
        limit = self.settings.max_stretch
        if limit <= 0:
            return covered
        ratio = _area(dst) / np.maximum(_area(src), 1e-6)
        stretched = np.append(ratio > limit * np.median(ratio), False)[ids] & covered
        if not stretched.any():
            return covered
        # Only the stretched pixels connected to the outside go: a sliver inside the face (a lip
        # line, a nostril) would leave a hole that the mask's erosion widens.
        outside = ~covered | stretched
        count, labels = cv2.connectedComponents(outside.astype(np.uint8), connectivity=4)
        border = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
        reached = np.isin(labels, border[border > 0]) if count > 1 else outside
        return covered & ~(stretched & reached)

    def _face_mask(self, points: np.ndarray) -> np.ndarray:
        """GHOST-style region: hull of the jaw-to-brows points with the brows pushed up from the eyes."""
        layout = FACE_MESH_468
        pts = points.copy()
        brows, eyes = list(layout.brows), list(layout.eyes)
        pts[brows] = pts[brows] + self.settings.brow_lift * (pts[brows] - pts[eyes])
        hull = cv2.convexHull(
            np.round((pts[list(layout.hull or range(layout.count))] - 0.5) * 16).astype(np.int32)
        )
        mask = np.zeros((CROP_SIZE, CROP_SIZE), np.uint8)
        cv2.fillConvexPoly(mask, hull, 1, lineType=cv2.LINE_8, shift=4)
        return mask.astype(bool)

    def _match_light(self, warped: np.ndarray, target: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """The target's low-frequency light and colour on the source's detail, as a linear-light ratio.

        Both sides are averaged only over the face (normalised convolution), so background never
        leaks in; detail finer than `shading_sigma` stays the source's.
        """
        weight = mask.astype(np.float32)[..., None]
        # Low-passed on a 4× smaller grid: the same low frequencies for a fraction of the cost.
        low_t = _low_pass(np.concatenate([target * weight, weight], axis=2), self.settings.shading_sigma)
        low_s = _low_pass(warped * weight, self.settings.shading_sigma)
        eps = np.float32(1e-4)
        lo, hi = self.settings.gain_limits
        # (low_t / low_w) / (low_s / low_w): the weight cancels, except where it is ~0 (eps guards).
        ratio = np.clip(
            (low_t[..., :3] + eps * low_t[..., 3:]) / (low_s + eps * low_t[..., 3:] + 1e-12), lo, hi
        )
        return np.ascontiguousarray(warped * ratio, np.float32)

    def describe(self) -> dict[str, Any]:
        s = self.settings
        return {
            "swapper": self.name,
            "landmarks": self.landmarker.layout.name,
            "shading_sigma": s.shading_sigma,
            "feather": s.feather,
            "mirror_below": s.mirror_below,
            "max_stretch": s.max_stretch,
            "min_presence": s.min_presence,
        }

    def model_sha256(self) -> str | None:
        """The morph has no generator: the face-mesh weights that place every warped pixel."""
        if not hasattr(self, "_model_sha256"):
            with open(self.landmarker.model_path, "rb") as handle:
                self._model_sha256 = hashlib.file_digest(handle, "sha256").hexdigest()
        return self._model_sha256
