"""The source's silhouette: slivers stretched over the target's edge keep the plate, not background.

Towards its silhouette a source's cheek is foreshortened and its pixels mix with hair or the
background behind it; on a target that turns less, those slivers are stretched over whole
pixels and paint stripes of the source's background into the far cheek. A green-screened source
makes any such pixel unmistakable. The mask's feather reaches past where the source face landed,
and there the blend fades to the target, never to what the warp holds (the crop's corner).
"""

from __future__ import annotations

import numpy as np
import pytest

from ghost_core.evaluation.green_screen import green_screened, screen_pixels
from ghost_core.faces.align import estimate_norm, warp_crop
from ghost_core.faces.detectors import open_detector
from ghost_core.io.source_image import read_source_image
from ghost_core.swappers.morph import MorphSettings, MorphSwapper
from tests.shots import ASSETS, video_frames


def _crop(image: np.ndarray) -> np.ndarray:
    (face, *_) = open_detector("retinaface").detect(image)
    return warp_crop(image, estimate_norm(face.kps)).astype(np.float32)


@pytest.fixture(scope="module")
def crops() -> tuple[np.ndarray, np.ndarray]:
    source = green_screened(read_source_image(ASSETS / "faces" / "beckham.jpg"))
    target = np.ascontiguousarray(video_frames("elon.webp", 1)[0])
    return _crop(source), _crop(target)


def _green(swapped: np.ndarray, target: np.ndarray) -> int:
    return int(screen_pixels(swapped, target).sum())


def test_the_source_background_no_longer_reaches_the_face(crops: tuple[np.ndarray, np.ndarray]) -> None:
    source, target = crops
    on, off = MorphSwapper(), MorphSwapper(settings=MorphSettings(max_stretch=0))
    before = _green(off.swap(target[None], off.prepare([source]))[0], target)
    after = _green(on.swap(target[None], on.prepare([source]))[0], target)
    assert before >= 50, "this pair should show the source's screen at the far cheek without the limit"
    assert after <= 0.1 * before, (before, after)


def test_the_feather_fades_to_the_target_where_no_source_face_landed(
    crops: tuple[np.ndarray, np.ndarray],
) -> None:
    source, target = crops
    swapper = MorphSwapper(settings=MorphSettings(max_stretch=0))  # the feather alone
    identity = swapper.prepare([source])
    (marks,), _ = swapper.landmarker.landmarks_and_scores(target[None])
    _, landed = swapper._warp(identity, marks.points.astype(np.float64))
    out = swapper.swap(target[None], identity)[0]
    assert not np.array_equal(out[landed], target[landed])
    assert np.array_equal(out[~landed], np.clip(target, 0.0, 1.0)[~landed])  # not the screen's green


def _landed(settings: MorphSettings) -> np.ndarray:
    """`_landed` on a 20×20 crop: triangle 0 fills the face, 1 is a stretched sliver inside it (a
    lip line), 2 a stretched sliver along its right edge, 3-5 are unstretched (the face's median)."""
    ids = np.full((20, 20), -1, np.int32)
    ids[2:18, 2:18] = 0
    ids[8:11, 8:11] = 1
    ids[2:18, 15:18] = 2
    unit = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    src = np.stack([unit] * 6)
    dst = src.copy()
    dst[1] *= 4.0  # 16× the area
    dst[2] *= 4.0
    swapper = MorphSwapper.__new__(MorphSwapper)  # `_landed` needs only the settings (no mesh model)
    swapper.settings = settings
    return swapper._landed(ids, dst, src)


def test_only_stretched_slivers_reached_from_outside_keep_the_plate() -> None:
    landed = _landed(MorphSettings())
    assert not landed[2:18, 15:18].any(), "the edge sliver still paints source pixels"
    assert landed[8:11, 8:11].all(), "an inner sliver was cut out (the mask's erosion would widen the hole)"
    assert landed[2:18, 2:15].all() and not landed[:2].any()
    assert np.array_equal(_landed(MorphSettings(max_stretch=0)), np.pad(np.ones((16, 16), bool), 2))
