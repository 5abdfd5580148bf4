"""The occlusion estimate, region masks, layer names and the holdout, each on a synthetic case."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from ghost_core.color import ColorPath, load_config
from ghost_core.composite import paste_face
from ghost_core.engine.layers import layer_channels
from ghost_core.errors import UsageError
from ghost_core.evaluation.dragged_bar import COVERED, MOVES, dragged_bar, moved, shifted
from ghost_core.faces.align import Alignment
from ghost_core.faces.landmarks import FaceMeshLandmarker
from ghost_core.faces.regions import region_masks
from ghost_core.faces.types import Landmarks
from ghost_core.occlusion import build_appearance, clean, estimate, guarded, nearer_occluder, similarity
from tests.shots import ASSETS


@pytest.fixture(scope="module")
def mesh() -> FaceMeshLandmarker:
    return FaceMeshLandmarker()


def _face(n: int = 1) -> np.ndarray:
    bgr = cv2.imread(str(ASSETS / "faces" / "aligned224" / f"target{n}.png"))
    return bgr[..., ::-1].astype(np.float32) / 255.0


def test_similarity_recovers_a_known_transform() -> None:
    pts = np.random.default_rng(0).uniform(0, 224, (40, 2))
    a = np.deg2rad(7.0)
    truth = np.array([[1.1 * np.cos(a), -1.1 * np.sin(a), 5.0], [1.1 * np.sin(a), 1.1 * np.cos(a), -3.0]])
    moved = pts @ truth[:, :2].T + truth[:, 2]
    assert np.allclose(similarity(pts, moved), truth, atol=1e-9)


def test_disc_on_one_frame_is_found(mesh: FaceMeshLandmarker) -> None:
    face = _face()
    shots = moved(face)
    disc = np.zeros((224, 224), np.uint8)
    cv2.circle(disc, (150, 150), 22, 1, -1)
    occluded = shots[3].copy()
    occluded[disc > 0] = (0.1, 0.3, 0.8)
    crops = [*shots[:3], occluded, shots[4]]
    marks = mesh.landmarks(np.stack(crops))
    appearance = build_appearance(crops, marks)
    found = estimate(appearance, occluded, marks[3])
    iou = ((found > 0.5) & (disc > 0)).sum() / ((found > 0.5) | (disc > 0)).sum()
    assert iou > 0.8, iou
    assert (found[disc > 0] == 1.0).mean() > 0.97, "the layer marks the occluder itself as fully covered"
    assert np.all(guarded(found)[disc > 0] == 1.0), "the matte takes all of the occluder out (final matte 0)"
    assert guarded(found).sum() > found.sum(), "the guard band lies outside the occluder"
    assert (estimate(appearance, shots[1], marks[1]) > 0.5).mean() < 0.01, "a clean frame has no occluder"


def _eye_centres(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    from ghost_core.faces.regions import POINT_SETS

    left, right = sorted(
        (points[list(i)].mean(0) for i in POINT_SETS["face_mesh_468"]["eyes"]), key=lambda c: c[0]
    )
    return left, right


def _glasses(points: np.ndarray) -> np.ndarray:
    """Two dark rims around the eyes and a bridge over the nose, as a 224 mask."""
    mask = np.zeros((224, 224), np.uint8)
    left, right = _eye_centres(points)
    radius = int(0.38 * np.linalg.norm(right - left))
    for centre in (left, right):
        cv2.circle(mask, tuple(np.round(centre).astype(int)), radius, 1, 6)
    ends = left + np.array([radius, 0.0]), right - np.array([radius, 0.0])
    cv2.line(mask, tuple(ends[0].astype(int)), tuple(ends[1].astype(int)), 1, 5)
    return mask > 0


def test_glasses_worn_all_shot_are_found_with_their_bridge(mesh: FaceMeshLandmarker) -> None:
    face = _face()
    rims = _glasses(mesh.landmarks(face[None])[0].points)
    shots = []
    for dx, dy, g in MOVES:
        worn = face.copy()
        worn[rims] = (0.05, 0.04, 0.04)
        shots.append(shifted(worn, dx, dy, g))
    marks = mesh.landmarks(np.stack(shots))
    appearance = build_appearance(shots, marks)
    found = estimate(appearance, shots[0], marks[0]) > 0.5
    iou = (found & rims).sum() / (found | rims).sum()
    assert iou > 0.6, iou
    middle = np.round(sum(_eye_centres(marks[0].points)) / 2).astype(int)
    assert found[middle[1] - 2 : middle[1] + 3, middle[0]].any(), "the bridge over the nose is found"
    bare = build_appearance([face] * 3, mesh.landmarks(np.stack([face] * 3)))
    clean = estimate(bare, face, mesh.landmarks(face[None])[0]) > 0.5
    assert clean.mean() < 0.01, "no glasses, nothing found"


def _tinted(face: np.ndarray, mask: np.ndarray, colour: tuple[float, float, float]) -> np.ndarray:
    """`face` under an occluder with a soft edge (as lenses and resampling leave it), 0.5 on its outline."""
    alpha = cv2.GaussianBlur(mask.astype(np.float32), (0, 0), 2.0)[..., None]
    return face * (1.0 - alpha) + np.float32(colour) * alpha


def test_a_soft_edge_is_found_where_the_occluder_dominates(mesh: FaceMeshLandmarker) -> None:
    face = _face()
    shots = moved(face)
    truth = np.zeros((224, 224), np.uint8)
    cv2.circle(truth, (150, 150), 22, 1, -1)
    shots[3] = _tinted(shots[3], truth > 0, (0.1, 0.1, 0.1))
    marks = mesh.landmarks(np.stack(shots))
    found = estimate(build_appearance(shots, marks), shots[3], marks[3]) > 0.5
    truth = truth > 0
    # a threshold on the distance from the face takes the pixels the occluder tints past its
    # edge (area ratio 1.018 here); halfway, the area is the occluder's own (0.988)
    assert 0.95 < found.sum() / truth.sum() < 1.012, (found.sum(), truth.sum())
    assert (found & truth).sum() / (found | truth).sum() > 0.93


def test_a_skin_toned_occluder_is_followed_from_where_it_shows_into_where_it_barely_does(
    mesh: FaceMeshLandmarker, monkeypatch: pytest.MonkeyPatch
) -> None:
    face = _face()
    shots = moved(face)
    truth = np.zeros((224, 224), bool)
    truth[120:200, 20:90] = True  # over the cheek (it barely shows) and down past the jaw (it shows)
    shots[3][truth] = face[120:135, 50:65].reshape(-1, 3).mean(0) * 1.08  # the cheek's colour, lighter
    marks = mesh.landmarks(np.stack(shots))
    appearance = build_appearance(shots, marks)

    def found() -> np.ndarray:
        return (estimate(appearance, shots[3], marks[3]) > 0.5) & appearance.region

    grown = found()
    monkeypatch.setattr("ghost_core.occlusion.GROW_MIN_AREA", 10**9)  # nothing grows
    alone = found()
    assert (grown & truth).sum() > 1.15 * (alone & truth).sum(), [(m & truth).sum() for m in (grown, alone)]
    assert (grown & ~truth).sum() < 0.05 * grown.sum(), "it grows into the occluder, not the face"


def test_an_edge_pixel_goes_to_the_colour_it_is_nearer() -> None:
    face, dark = np.float32([0.7, 0.02, 0.03]), np.float32([0.2, 0.0, 0.0])
    mix = np.r_[np.linspace(0.0, 1.0, 20), 1, 1, 1].astype(np.float32)  # occluder share along a row
    lab = np.tile((face * (1 - mix[:, None]) + dark * mix[:, None])[None], (8, 1, 1))
    core = np.zeros(lab.shape[:2], bool)
    core[:, -3:] = True  # the occluder's own pixels
    taken = nearer_occluder(lab, np.linalg.norm(lab - face, axis=-1), core)
    assert taken.all(axis=0).tolist() == (mix > 0.5).tolist()


def test_a_face_placed_two_pixels_off_shows_no_occluder(mesh: FaceMeshLandmarker) -> None:
    face = _face()
    shots = [shifted(face, dx, dy, 1.0) for dx, dy in [(0, 0), (1, -1), (-1, 1), (1, 1), (-1, -1)]]
    marks = mesh.landmarks(np.stack(shots))
    appearance = build_appearance(shots, marks)
    off = Landmarks(marks[0].points + np.float32([2.0, -1.5]), marks[0].layout)  # landmark error
    assert (estimate(appearance, shots[0], off) > 0.5).mean() < 0.005


def test_a_bar_that_drags_every_landmark_is_placed_by_the_pixels_it_leaves_free(
    mesh: FaceMeshLandmarker, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bar across both eyes moves all the regressed landmarks (6-10 crop px on the test shots):
    placed by them, the face's own hair line and jaw read as occluders; the pixel registration
    (`occlusion.registered`) puts it back, so only the bar is found."""
    import ghost_core.occlusion as occlusion

    case = dragged_bar(_face(), mesh)
    covered = case.frames[COVERED]
    appearance = build_appearance(case.frames, case.marks)

    def iou() -> float:
        found = estimate(appearance, covered, case.dragged(COVERED)) > 0.5
        return float((found & case.bar).sum() / (found | case.bar).sum())

    assert iou() > 0.9
    clean_frame = estimate(appearance, case.frames[1], case.dragged(1))
    assert (clean_frame > 0.5).mean() < 0.005, "a clean frame stays clean"
    monkeypatch.setattr(occlusion, "REGISTER_ROUNDS", 0)
    assert iou() < 0.5, "without the registration the misplaced face is taken as covered"


def test_small_holes_in_an_occluder_are_filled_large_ones_kept() -> None:
    mask = np.zeros((224, 224), bool)
    mask[40:100, 40:180] = True
    mask[60:70, 60:70] = False  # 100 px: an eye under a hand, hidden by its own variation
    ring = np.zeros((224, 224), np.uint8)
    cv2.circle(ring, (110, 160), 30, 1, 8)  # a spectacle rim: the eye inside is not covered
    found = clean(mask | (ring > 0), np.ones((224, 224), bool))
    assert found[60:70, 60:70].all()
    assert not found[160, 110]


def test_an_occluder_grows_over_pixels_that_vary_by_themselves() -> None:
    """A hand's thumb over the jaw line: the jaw moves in the shot, so its pixels vary a lot by
    themselves; the thumb, close to skin in colour, is taken because it joins the clear palm."""
    from ghost_core.occlusion import Appearance, SkinModel, _covered

    size = 224
    median = np.zeros((size, size, 3), np.float32)
    median[..., 0] = 0.6
    spread = np.full((size, size), 0.005, np.float32)
    spread[:, 140:170] = 0.1  # the moving jaw line
    none = np.zeros((size, size), bool)
    skin = SkinModel(np.ones((size, size), np.float32), np.zeros(3), np.ones(3))
    appearance = Appearance(np.zeros((5, 2), np.float32), median, median, spread, ~none, none, skin, 5)
    frame = median.copy()
    frame[80:140, 60:120, 0] += 0.4  # the palm, far from the face
    frame[95:125, 120:200, 0] += 0.1  # the thumb: a little lighter than the skin it covers
    moving, _ = _covered(appearance, frame, frame)
    assert moving[85:135, 65:115].all(), "the palm is found"
    assert moving[102:118, 145:165].all(), "the thumb over the varying pixels joins it"
    alone = median.copy()
    alone[100:115, 140:170, 0] += 0.1  # the same change on the jaw line with no palm: its own motion
    assert not _covered(appearance, alone, alone)[0].any()


def test_regions_lie_where_the_features_are(mesh: FaceMeshLandmarker) -> None:
    marks = mesh.landmarks(_face()[None])[0]
    regions = region_masks(marks)
    assert set(regions) == {"skin", "brows", "eyes", "nose", "mouth"}
    centres = {n: np.argwhere(m > 0).mean(0) for n, m in regions.items()}  # (row, col)
    assert centres["brows"][0] < centres["eyes"][0] < centres["nose"][0] < centres["mouth"][0]
    assert abs(centres["nose"][1] - 112) < 15 and abs(centres["mouth"][1] - 112) < 15
    assert not (regions["skin"] * regions["eyes"]).any(), "eyes are not skin"
    assert regions["skin"].sum() > 5 * regions["eyes"].sum()


def test_layer_names_are_configurable() -> None:
    assert layer_channels("", "ghost.", "ghost.matte") == {}
    assert layer_channels("occlusion, mouth=roto.mouth", "x.", "ghost.matte") == {
        "occlusion": "x.occlusion",
        "mouth": "roto.mouth",
    }
    assert list(layer_channels("all", "ghost.", "ghost.matte").values()) == [
        "ghost.occlusion",
        "ghost.skin",
        "ghost.brows",
        "ghost.eyes",
        "ghost.nose",
        "ghost.mouth",
        "ghost.expression",
    ]
    with pytest.raises(UsageError, match="unknown layer"):
        layer_channels("hair", "ghost.", "ghost.matte")
    with pytest.raises(UsageError, match="used twice"):
        layer_channels("skin=ghost.matte", "ghost.", "ghost.matte")


def test_holdout_subtracts_from_the_pasted_matte() -> None:
    color = ColorPath.create(load_config("ocio://studio-config-latest"), "ACEScg")
    alignment = Alignment(np.array([[1.0, 0.0, -20.0], [0.0, 1.0, -10.0]]), pose=2)
    plate = np.full((260, 270, 3), 0.18, np.float32)
    seen = color.to_model(plate[10:234, 20:244], clip=True)
    swap = np.clip(seen + 0.2, 0, 1).astype(np.float32)
    crop_matte = np.zeros((224, 224), np.float32)
    crop_matte[30:190, 30:190] = 1.0
    holdout = np.zeros(plate.shape[:2], np.float32)
    holdout[100:140, 100:140] = 1.0
    holdout[60:80, 60:80] = 0.25
    plain = paste_face(plate, swap, seen, alignment, crop_matte, color)
    held = paste_face(plate, swap, seen, alignment, crop_matte, color, holdout=holdout)
    x, y, w, h = held.box
    expect = np.maximum(plain.matte - holdout[y : y + h, x : x + w], 0.0)
    assert np.array_equal(held.matte, expect)
    inside = held.rgb[100 - y : 140 - y, 100 - x : 140 - x]
    assert np.array_equal(inside, plate[100:140, 100:140]), "held-out pixels are the plate's"
    assert not np.array_equal(plain.rgb[100 - y : 140 - y, 100 - x : 140 - x], plate[100:140, 100:140])
