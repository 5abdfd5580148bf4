"""The offline morph swapper on real aligned crops, judged by an independent recogniser (MobileFaceNet)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ghost_core.errors import InputError, UsageError
from ghost_core.io.source_image import read_source_image
from ghost_core.swappers.base import Swapper
from ghost_core.swappers.morph import MorphIdentity, MorphSettings, MorphSwapper
from tests.identity_metric import embed

ALIGNED = Path(__file__).resolve().parents[2].parent / "shared" / "assets" / "faces" / "aligned224"
# (source, target) numbers; every source and every target appears once.
PAIRS = [(1, 2), (3, 4), (5, 6), (2, 1), (4, 5), (6, 3)]


def _read(kind: str) -> np.ndarray:
    paths = [ALIGNED / f"{kind}{i}.png" for i in range(1, 7)]
    missing = [p for p in paths if not p.is_file()]
    if missing:
        pytest.fail(f"missing {missing}; CI needs ../shared beside the checkout")
    return np.stack([read_source_image(p) for p in paths])


@pytest.fixture(scope="module")
def sources() -> np.ndarray:
    return _read("source")


@pytest.fixture(scope="module")
def targets() -> np.ndarray:
    return _read("target")


@pytest.fixture(scope="module")
def swapper() -> MorphSwapper:
    return MorphSwapper()


@pytest.fixture(scope="module")
def swapped(swapper: MorphSwapper, sources: np.ndarray, targets: np.ndarray) -> np.ndarray:
    return np.stack(
        [swapper.swap(targets[t - 1 : t], swapper.prepare([sources[s - 1]]))[0] for s, t in PAIRS]
    )


def test_output_shows_the_source_person(
    swapped: np.ndarray, sources: np.ndarray, targets: np.ndarray
) -> None:
    e_out = embed(swapped)
    e_src = embed(sources[[s - 1 for s, _ in PAIRS]])
    e_tgt = embed(targets[[t - 1 for _, t in PAIRS]])
    to_source = np.sum(e_out * e_src, axis=1)
    to_target = np.sum(e_out * e_tgt, axis=1)
    report = {f"source{s}->target{t}": (round(float(a), 3), round(float(b), 3))
              for (s, t), a, b in zip(PAIRS, to_source, to_target, strict=True)}  # fmt: skip
    assert (to_source > to_target).all(), report
    assert (to_source - to_target).mean() > 0.2, report


def test_outside_the_face_is_the_target_bit_for_bit(swapped: np.ndarray, targets: np.ndarray) -> None:
    for out, (_, t) in zip(swapped, PAIRS, strict=True):
        target = targets[t - 1]
        for rows in (slice(0, 16), slice(-16, None)):
            for cols in (slice(0, 16), slice(-16, None)):
                assert np.array_equal(out[rows, cols], target[rows, cols]), t
        changed = np.abs(out - target).max(axis=2) > 0
        assert 0.15 < changed.mean() < 0.6, (t, changed.mean())  # the face changed, the rest did not


def test_output_is_finite_float_in_range(swapped: np.ndarray) -> None:
    assert swapped.dtype == np.float32 and swapped.shape == (len(PAIRS), 224, 224, 3)
    assert np.isfinite(swapped).all()
    assert swapped.min() >= 0.0 and swapped.max() <= 1.0


def test_light_and_colour_follow_the_target(swapper: MorphSwapper, sources, targets) -> None:
    # source4 is a warm colour photo, target5 black and white: the swapped face must turn grey and
    # take the target's brightness (matched in linear light), while the raw source face is not grey.
    target = targets[4]
    identity = swapper.prepare([sources[3]])
    out = swapper.swap(target[None], identity)[0]
    points = swapper.landmarker.landmarks(target[None])[0].points.astype(np.float64)
    face = swapper._face_mask(points)
    source_face = swapper._face_mask(identity.points)

    def mean_linear(image: np.ndarray, where: np.ndarray) -> np.ndarray:
        return swapper.color.from_model(np.ascontiguousarray(image))[where].mean(0)

    out_rgb, target_rgb = mean_linear(out, face), mean_linear(target, face)
    source_rgb = mean_linear(sources[3], source_face)
    assert np.ptp(source_rgb) > 0.1, source_rgb
    assert np.ptp(out_rgb) < 0.03, out_rgb
    assert abs(out_rgb.mean() / target_rgb.mean() - 1) < 0.1, (out_rgb, target_rgb)


def test_faceless_target_is_returned_unchanged(swapper: MorphSwapper, sources) -> None:
    noise = np.random.default_rng(5).random((1, 224, 224, 3), dtype=np.float32)
    out = swapper.swap(noise, swapper.prepare([sources[0]]))
    assert np.array_equal(out, noise)


def _barred(crop: np.ndarray) -> np.ndarray:
    """`crop` with a blue bar across both eyes (target3: the mesh's face presence drops to 0.33)."""
    import cv2

    out = crop.copy()
    bar = np.zeros(crop.shape[:2], np.uint8)
    cv2.line(bar, (30, 95), (194, 95), 1, 30)
    out[bar > 0] = (0.15, 0.35, 0.75)
    return out


def test_a_face_covered_across_the_eyes_is_swapped_but_not_taken_as_a_source(
    swapper: MorphSwapper, sources, targets
) -> None:
    """The render hands morph only tracked faces, so a low mesh presence means covered, not absent:
    the face is swapped (it used to come back unchanged below 0.5, and the actor popped back in).
    A source photo still has to show its face clearly."""
    covered = _barred(targets[2])[None]
    presence = swapper.landmarker.landmarks_and_scores(covered)[1][0]
    assert swapper.settings.min_presence < presence < swapper.settings.source_presence, presence
    out = swapper.swap(covered, swapper.prepare([sources[0]]))
    assert np.abs(out - covered).max(-1).mean() > 0.02, "the covered face is replaced"
    strict = MorphSwapper(swapper.landmarker, settings=MorphSettings(min_presence=0.5))
    assert np.array_equal(strict.swap(covered, strict.prepare([sources[0]])), covered), "the old threshold"
    with pytest.raises(InputError, match="no face"):
        swapper.prepare(covered)


def test_prepare_picks_the_face_and_refuses_no_face(swapper: MorphSwapper, sources) -> None:
    noise = np.random.default_rng(6).random((224, 224, 3), dtype=np.float32)
    identity = swapper.prepare([noise, sources[2]])
    assert isinstance(identity, MorphIdentity) and identity.index == 1 and identity.score > 0.9
    assert identity.triangles.shape[1] == 3 and len(identity.triangles) > 800
    with pytest.raises(InputError, match="no face"):
        swapper.prepare([noise])
    with pytest.raises(UsageError, match="224"):
        swapper.prepare([noise[:112]])
    with pytest.raises(UsageError, match="prepare"):
        swapper.swap(sources[:1], "not an identity")


def test_is_a_swapper(swapper: MorphSwapper) -> None:
    assert isinstance(swapper, Swapper) and swapper.name == "morph"
    assert swapper.describe()["swapper"] == "morph"
