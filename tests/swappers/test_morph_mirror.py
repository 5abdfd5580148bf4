"""A turned source's far cheek: drawn from its mirrored visible half instead of smeared hair and background.

Real turned faces (the group photo in ../shared/assets has several at 30–45°) are swapped onto a
frontal target. A smear is a tiny foreshortened patch of the source (the far cheek, with hair or
background at its edge) stretched over a large part of the target's face; the test measures the
share of the face drawn from source triangles magnified more than 3× in area.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from ghost_core.faces.align import estimate_norm, warp_crop
from ghost_core.faces.detectors import open_detector
from ghost_core.faces.landmarks import FACE_MESH_468
from ghost_core.faces.mesh_mirror import MESH_MIRROR
from ghost_core.io.source_image import read_source_image
from ghost_core.swappers.morph import MorphSettings, MorphSwapper, _areas, hidden_triangles
from tests.shots import ASSETS


def _crops(name: str) -> list[np.ndarray]:
    image = read_source_image(ASSETS / "faces" / name)
    return [
        warp_crop(image, estimate_norm(f.kps)).astype(np.float32) for f in open_detector("auto").detect(image)
    ]


@pytest.fixture(scope="module")
def faces() -> dict[str, list[np.ndarray]]:
    return {"group": _crops("group_t1.jpg"), "obama": _crops("obama.jpg")}


def _stretched_share(swapper: MorphSwapper, identity, target: np.ndarray) -> float:
    """Share of the target's face drawn from source triangles magnified over 3× in area: a smear."""
    (marks,), _ = swapper.landmarker.landmarks_and_scores(target[None])
    points = marks.points.astype(np.float64)
    tri = identity.triangles
    src = identity.points[tri].copy()
    twins = identity.points[np.asarray(MESH_MIRROR)[tri]]
    src[identity.hidden] = twins[identity.hidden]  # a filled triangle samples its twin
    dst_area, src_area = (
        _areas(points, tri),
        _areas(src.reshape(-1, 2), np.arange(3 * len(tri)).reshape(-1, 3)),
    )
    stretch = dst_area / np.maximum(src_area, 1e-6)
    face = swapper._face_mask(points)
    ids = np.full(face.shape, -1, np.int32)
    for t in range(len(tri)):
        cv2.fillConvexPoly(ids, np.round((points[tri[t]] - 0.5) * 16).astype(np.int32), t, shift=4)
    covered = face & (ids >= 0)
    return float((stretch[ids[covered]] > 3.0).mean())


def test_the_mirror_table_pairs_each_point_with_its_twin() -> None:
    twin = np.asarray(MESH_MIRROR)
    assert sorted(twin) == list(range(468)) and (twin[twin] == np.arange(468)).all()
    assert list(twin[list(FACE_MESH_468.jaw_left)]) == list(FACE_MESH_468.jaw_right)
    assert 10 <= int((twin == np.arange(468)).sum()) <= 40  # the midline: nose ridge, lips, chin


def test_turned_sources_no_longer_smear_background_into_the_far_cheek(faces) -> None:
    on, off = MorphSwapper(), MorphSwapper(settings=MorphSettings(mirror_below=0))
    target = faces["obama"][0]
    turned = 0
    for source in faces["group"]:
        identity = on.prepare([source])
        if not identity.hidden.any():
            continue  # a frontal face of the group: nothing to fill
        turned += 1
        before = _stretched_share(off, off.prepare([source]), target)
        after = _stretched_share(on, identity, target)
        assert before > 0.1 and after < 0.5 * before, (before, after)
        swapped, plain = on.swap(target[None], identity)[0], off.swap(target[None], off.prepare([source]))[0]
        assert np.isfinite(swapped).all() and not np.array_equal(swapped, plain)
    assert turned >= 3, "the group photo should have several turned faces"


def test_frontal_sources_are_untouched(faces) -> None:
    swapper = MorphSwapper()
    for crop in [*faces["obama"], *faces["group"][:2]]:
        identity = swapper.prepare([crop])
        assert not identity.hidden.any()
    points = np.asarray(swapper.prepare([faces["obama"][0]]).points)
    triangles = swapper.prepare([faces["obama"][0]]).triangles
    assert not hidden_triangles(points, triangles, 0.0).any()  # 0 turns the fill off
