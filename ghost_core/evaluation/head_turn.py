"""A head-turn clip built from one frontal photo, for the pose benchmark (no head-turn footage ships).

None of the test clips turns a head further than about 6° (dance.mp4, orig.webp), so the pose
gate (`faces/pose.py`: swap, warn, skip) has no real material to be judged on. This builds one
reproducibly: the photo's face mesh (MediaPipe's 468 points with depth) is turned about a vertical
axis through the head's centre by a known angle per frame and the photo is re-rendered by a
piecewise-affine warp over the mesh, far triangles first, back-facing ones dropped. A static ring
around the face (the head's outline: hair, ears) and the frame border hold the rest of the picture
in place, so only the face turns and the band between face and ring stretches or folds.

It is a geometric stand-in, not a filmed turn: the far cheek is only foreshortened (no new
occlusion by the nose beyond what the mesh's own triangles hide), ears and the back of the head
never appear, lighting does not change. The angle is exact, so the yaw estimate can be read
against it.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from scipy.spatial import Delaunay

from ghost_core.errors import InputError

RING_SCALE = 1.45  # the static head outline: the face oval pushed out from its centre
HEAD_DEPTH = 0.6  # the turn axis lies this many face widths behind the face's mean depth
BORDER_STEP = 48  # px between fixed points along the frame border
OVAL = (10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377, 152,
        148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109)  # fmt: skip


@dataclass(frozen=True)
class TurnRig:
    """One photo prepared for turning: the picture, its control points and their triangulation."""

    image: np.ndarray  # H×W×3 model-space RGB
    points: np.ndarray  # N×3: the 468 mesh points (x, y, depth), then ring and border points
    mesh_count: int
    triangles: np.ndarray  # T×3 indices into `points`
    centre: tuple[float, float]  # (x, depth) of the turn axis


def frame_photo(photo: np.ndarray, box: np.ndarray, size: int, span: float = 2.4) -> np.ndarray:
    """A size×size frame centred on the face box, `span` box sides wide (edges repeated if needed)."""
    x0, y0, x1, y1 = (float(v) for v in box[:4])
    side = span * max(x1 - x0, y1 - y0)
    scale = size / side
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    matrix = np.array([[scale, 0, size / 2 - scale * cx], [0, scale, size / 2 - scale * cy]], np.float64)
    return cv2.warpAffine(
        np.ascontiguousarray(photo, np.float32), matrix, (size, size),
        flags=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE,
    )  # fmt: skip


def build_rig(image: np.ndarray, mesh: np.ndarray) -> TurnRig:
    """Control points and triangulation for `image` with its face `mesh` (468×3, frame pixels)."""
    if mesh.shape != (468, 3) or not np.isfinite(mesh).all():
        raise InputError(f"the head-turn rig needs a finite 468×3 face mesh, got shape {mesh.shape}")
    height, width = image.shape[:2]
    oval = mesh[list(OVAL), :2]
    middle = oval.mean(0)
    ring = middle + RING_SCALE * (oval - middle)
    edge = [np.linspace(0, width - 1, max(2, width // BORDER_STEP + 1)),
            np.linspace(0, height - 1, max(2, height // BORDER_STEP + 1))]  # fmt: skip
    xs, ys = edge
    border = np.concatenate([
        np.column_stack([xs, np.zeros_like(xs)]), np.column_stack([xs, np.full_like(xs, height - 1)]),
        np.column_stack([np.zeros_like(ys), ys]), np.column_stack([np.full_like(ys, width - 1), ys]),
    ])  # fmt: skip
    ring = ring[(ring[:, 0] > 1) & (ring[:, 0] < width - 2) & (ring[:, 1] > 1) & (ring[:, 1] < height - 2)]
    fixed = np.unique(np.round(np.concatenate([ring, border]), 3), axis=0)
    face_width = float(np.ptp(oval[:, 0]))
    axis = (float(mesh[:, 0].mean()), float(mesh[:, 2].mean()) + HEAD_DEPTH * face_width)
    points = np.concatenate([mesh, np.column_stack([fixed, np.full(len(fixed), axis[1])])])
    triangles = Delaunay(points[:, :2]).simplices.astype(np.int64)
    return TurnRig(np.ascontiguousarray(image, np.float32), points, 468, triangles, axis)


def turned_points(rig: TurnRig, degrees: float) -> np.ndarray:
    """The control points after turning the face mesh by `degrees` about the vertical axis."""
    theta = np.radians(degrees)
    out = rig.points.copy()
    mesh = out[: rig.mesh_count]
    dx, dz = mesh[:, 0] - rig.centre[0], mesh[:, 2] - rig.centre[1]
    mesh[:, 0] = rig.centre[0] + dx * np.cos(theta) + dz * np.sin(theta)
    mesh[:, 2] = rig.centre[1] - dx * np.sin(theta) + dz * np.cos(theta)
    return out


def _signed_areas(points: np.ndarray, triangles: np.ndarray) -> np.ndarray:
    p = points[triangles]
    a, b = p[:, 1] - p[:, 0], p[:, 2] - p[:, 0]
    return 0.5 * (a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0])


def render_turn(rig: TurnRig, degrees: float) -> np.ndarray:
    """The photo with its face turned by `degrees` (H×W×3 model-space RGB)."""
    height, width = rig.image.shape[:2]
    src, dst = rig.points[:, :2], turned_points(rig, degrees)
    tri = rig.triangles
    face = (tri < rig.mesh_count).all(axis=1)
    facing = np.sign(_signed_areas(dst[:, :2], tri)) == np.sign(_signed_areas(src, tri))
    depth = dst[tri, 2].mean(axis=1)
    # Painter's order: the outline band first, then the face's front-facing triangles far to near.
    order = [*np.flatnonzero(~face), *sorted(np.flatnonzero(face & facing), key=lambda t: -depth[t])]
    homogeneous = np.concatenate([dst[tri, :2], np.ones((len(tri), 3, 1))], axis=2)
    usable = np.abs(np.linalg.det(homogeneous)) > 1e-6
    affine = np.zeros((len(tri) + 1, 6), np.float64)  # last row: no triangle (samples pixel 0, 0)
    affine[:-1][usable] = np.linalg.solve(homogeneous[usable], src[tri][usable]).reshape(-1, 6)
    ids = np.full((height, width), -1, np.int32)
    fixed = np.round(dst[tri, :2] * 16).astype(np.int32)
    for t in order:
        if usable[t]:
            cv2.fillConvexPoly(ids, fixed[t], int(t), lineType=cv2.LINE_8, shift=4)
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    coef = affine[ids]
    map_x = (coef[..., 0] * x + coef[..., 2] * y + coef[..., 4]).astype(np.float32)
    map_y = (coef[..., 1] * x + coef[..., 3] * y + coef[..., 5]).astype(np.float32)
    out = cv2.remap(rig.image, map_x, map_y, interpolation=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    return np.where((ids >= 0)[..., None], out, rig.image)


def face_mesh_3d(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(box, 468×3 mesh in frame pixels) of the largest face the offline detector finds."""
    from ghost_core.faces.align import estimate_norm, transform_points, warp_crop
    from ghost_core.faces.detectors import open_detector
    from ghost_core.faces.landmarks import FaceMeshLandmarker

    faces = open_detector("retinaface").detect(np.ascontiguousarray(image, np.float32))
    if not faces:
        raise InputError("the head-turn photo has no face the offline detector finds")
    face = max(faces, key=lambda d: float((d.box[2] - d.box[0]) * (d.box[3] - d.box[1])))
    alignment = estimate_norm(face.kps)
    crop_points = FaceMeshLandmarker().points_3d(warp_crop(image, alignment))
    scale = float(np.sqrt(abs(np.linalg.det(alignment.matrix[:, :2]))))  # frame → crop
    xy = transform_points(alignment.inverse, crop_points[:, :2])
    return np.asarray(face.box, np.float64), np.column_stack([xy, crop_points[:, 2] / scale])


def head_turn_clip(photo: np.ndarray, angles: list[float], size: int = 400) -> list[np.ndarray]:
    """Frames of `photo`'s face turned by each of `angles` (degrees), size×size model-space RGB."""
    box, _ = face_mesh_3d(photo)
    framed = frame_photo(photo, box, size)
    _, mesh = face_mesh_3d(framed)
    rig = build_rig(framed, mesh)
    return [render_turn(rig, a) for a in angles]
