"""Detail match (ghost_core/detail_match.py, `detail.match`): a swap sharper than the plate is brought
to the plate's band energies, and it changes nothing it must not.

Unit tests on synthetic crops (band energy, no-op cases, the gain cap), then real renders: 256 px
crops of dance.mp4 around the dancer's face (clip frames 0-5), scene-linear ACEScg half EXR, offline
detector, face mesh and morph swapper (whose warped photo is sharper than the plate's face). One
frame carries a dark stripe with exact zeros and small negatives and a highlight above 1 across
the face, so the paste-back guarantees are checked where the match could break them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from ghost_core import cli
from ghost_core.detail_match import SKIN_WEIGHT, band_energies, match_detail
from ghost_core.engine import compose, mattes
from ghost_core.io.exr import Frame
from tests.engine.conftest import ASSETS, colour_path, video_frames, write_plate_frame
from tests.shots import bits, frame

SOURCE = str(ASSETS / "faces" / "elon_musk.jpg")
OFFLINE = ["--swapper", "morph", "--detector", "retinaface", "--landmarker", "mesh", "-q"]
FILTER = ["--temporal-strength", "1", "--temporal-window", "2"]
FRAMES = list(range(1001, 1007))
MARKED = 1003  # the frame with the dark stripe and the highlight
STRIPE = (slice(124, 130), slice(125, 185))  # rows, columns of the 256 px plate: across the cheeks
HIGHLIGHT = (slice(84, 88), slice(140, 150))  # on the forehead


# ------------------------------------------------------------------------------------- synthetic


def _texture(seed: int, sigma: float, size: int = 224) -> np.ndarray:
    """Zero-mean grey texture, Gaussian-blurred at `sigma` px, unit robust spread."""
    noise = np.random.default_rng(seed).normal(size=(size, size)).astype(np.float32)
    texture = cv2.GaussianBlur(noise, (0, 0), sigma) if sigma > 0 else noise
    return texture / (1.4826 * np.median(np.abs(texture)))


def _face(detail: np.ndarray, amount: float) -> np.ndarray:
    """A skin-coloured crop with `amount` of `detail` on a smooth shading ramp (model space 0..1)."""
    ramp = np.linspace(0.45, 0.6, 224, dtype=np.float32)[None, :, None]
    skin = np.array([1.0, 0.78, 0.66], np.float32)
    return np.clip((ramp + amount * detail[..., None]) * skin, 0.0, 1.0).astype(np.float32)


WEIGHT = np.zeros((224, 224), np.float32)
WEIGHT[40:184, 40:184] = 1.0
WHERE = WEIGHT >= SKIN_WEIGHT


def test_a_too_sharp_swap_gets_the_plates_band_energies() -> None:
    plate = _face(_texture(1, 1.0), 0.02)  # soft: little energy in the fine bands
    swap = _face(_texture(2, 0.6), 0.05)  # a sharp photo's pores
    before, target = band_energies(swap, WHERE), band_energies(plate, WHERE)
    assert all(b > 1.3 * t for b, t in zip(before, target, strict=True)), (before, target)
    after = band_energies(match_detail(swap, plate, WEIGHT), WHERE)
    for k, (a, t) in enumerate(zip(after, target, strict=True)):
        assert a == pytest.approx(t, rel=0.15), (k, after, target)
    half = band_energies(match_detail(swap, plate, WEIGHT, strength=0.5), WHERE)
    assert all(t < h < b for h, t, b in zip(half, target, before, strict=True))


def test_strength_zero_and_a_softer_swap_are_bit_exact_no_ops() -> None:
    detail = _texture(4, 0.0)
    plate = _face(detail, 0.04)
    soft = _face(cv2.GaussianBlur(detail, (0, 0), 1.5), 0.04)  # the plate's detail blurred: softer everywhere
    assert match_detail(soft, plate, WEIGHT, strength=0.0) is soft
    assert match_detail(plate, soft, WEIGHT, strength=0.0) is plate
    assert match_detail(soft, plate, WEIGHT) is soft  # gains are capped at 1: never adds detail
    assert match_detail(soft, plate, np.zeros_like(WEIGHT)) is soft  # no skin to measure on


def test_max_gain_above_one_raises_a_soft_swap_up_to_the_cap() -> None:
    plate = _face(_texture(6, 0.0), 0.04)
    soft = _face(_texture(7, 0.0), 0.01)
    before, target = band_energies(soft, WHERE), band_energies(plate, WHERE)
    after = band_energies(match_detail(soft, plate, WEIGHT, max_gain=2.0), WHERE)
    for b, a, t in zip(before, after, target, strict=True):
        assert a == pytest.approx(min(2.0 * b, t), rel=0.2)


# ---------------------------------------------------------------------------------- real renders


@pytest.fixture(scope="module")
def shot(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("detail")
    color = colour_path()
    clip = video_frames("dance.mp4", len(FRAMES))
    for f, image in zip(FRAMES, clip, strict=True):
        linear = color.from_model(np.ascontiguousarray(image[60:316, 100:356]))
        if f == MARKED:
            linear[STRIPE] = 0.0
            linear[STRIPE][::2, ::3] = -0.01
            linear[HIGHLIGHT] = 3.0
        write_plate_frame(folder / f"plate.{f:04d}.exr", linear)
    plate, track = str(folder / "plate.####.exr"), str(folder / "shot.track.json")
    assert cli.main(["track", "--plate", plate, "--source", SOURCE, "--out", track, *OFFLINE]) == 0
    paths: dict[str, Any] = {"plate": plate, "track": track, "folder": str(folder)}
    calls: list[tuple[np.ndarray, np.ndarray, np.ndarray, float, np.ndarray]] = []

    def recorded(swap: np.ndarray, seen: np.ndarray, weight: np.ndarray, strength: float, *a: Any) -> Any:
        out = match_detail(swap, seen, weight, strength, *a)
        calls.append((swap, seen, weight, strength, out))
        return out

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(compose, "match_detail", recorded)
        paths["on"] = render(paths, "on", "--detail-match", "1")
    paths["calls"] = calls
    paths["off"] = render(paths, "off", "--detail-match", "0")
    with pytest.MonkeyPatch.context() as patch:  # the compositing stage without the detail match at all
        patch.setattr(mattes, "skin_weight", lambda *a: None)
        patch.setattr(compose, "match_detail", lambda *a: pytest.fail("the detail match ran"))
        paths["bare"] = render(paths, "bare")
    paths["filter"] = render(paths, "filter", *FILTER)  # detail match at its default (morph: on)
    return paths


def render(shot: dict[str, Any], name: str, *extra: str) -> str:
    out = str(Path(shot["folder"]) / name / "swap.####.exr")
    argv = ["render", "--plate", shot["plate"], "--source", SOURCE, "--track", shot["track"], "--out", out]
    assert cli.main([*argv, *OFFLINE, *extra]) == 0
    return out


def rgb(frame: Frame) -> np.ndarray:
    return frame.rgba()[..., :3].astype(np.float32)


def test_the_render_brings_the_morph_swaps_detail_to_the_plates(shot: dict[str, Any]) -> None:
    calls = [c for c in shot["calls"] if c[3] == 1.0]
    assert len(calls) == len(FRAMES)
    softened = 0
    for swap, seen, weight, _, out in calls:
        where = weight >= SKIN_WEIGHT
        before, target, after = (band_energies(c, where) for c in (swap, seen, out))
        for b, t, a in zip(before, target, after, strict=True):
            if b > 1.1 * t:  # too sharp: brought to the plate's
                softened += 1
                assert a == pytest.approx(t, rel=0.15), (before, target, after)
            else:  # never raised (max gain 1), and a band at the plate's is not pushed below it
                assert a <= 1.05 * b, (before, target, after)
    assert softened >= len(calls), "the morph swap was not sharper than the plate: nothing was tested"


def test_detail_match_zero_is_the_compositing_without_it_bit_for_bit(shot: dict[str, Any]) -> None:
    changed = 0
    for f in FRAMES:
        off, bare, on = frame(shot["off"], f), frame(shot["bare"], f), frame(shot["on"], f)
        assert off.channel_names == bare.channel_names
        for name in off.channel_names:
            assert np.array_equal(bits(off, name), bits(bare, name)), (f, name)
        changed += int(not np.array_equal(bits(on, "G"), bits(off, "G")))
        assert off.spec.get_float_attribute("ghost:detail_match") == 0.0
        assert on.spec.get_float_attribute("ghost:detail_match") == 1.0
    assert changed == len(FRAMES), "the detail match changed no frame"


def test_chunks_with_detail_match_and_filter_equal_the_whole_render_bit_for_bit(shot: dict[str, Any]) -> None:
    chunked = render(shot, "chunks", "--frames", "1001-1002", *FILTER)
    render(shot, "chunks", "--frames", "1003-1006", *FILTER)
    for f in FRAMES:
        whole, chunk = frame(shot["filter"], f), frame(chunked, f)
        assert whole.spec.get_float_attribute("ghost:detail_match") == 1.0  # the default for morph
        assert whole.channel_names == chunk.channel_names
        for name in whole.channel_names:
            assert np.array_equal(bits(whole, name), bits(chunk, name)), (f, name)


@pytest.mark.parametrize("variant", ["on", "filter"])
def test_outside_the_matte_the_plate_keeps_its_bits(shot: dict[str, Any], variant: str) -> None:
    for f in FRAMES:
        out, plate = frame(shot[variant], f), frame(shot["plate"], f)
        outside = out.plane("ghost.matte") == 0
        assert outside.any() and not outside.all()
        for name in "RGB":
            assert np.array_equal(bits(out, name)[outside], bits(plate, name)[outside]), (f, name)


@pytest.mark.parametrize("variant", ["on", "filter"])
def test_no_new_negatives_and_highlights_stay_above_one(shot: dict[str, Any], variant: str) -> None:
    out, plate = frame(shot[variant], MARKED), frame(shot["plate"], MARKED)
    matte = out.plane("ghost.matte").astype(np.float32)
    assert matte[STRIPE].min() > 0.5 and matte[HIGHLIGHT].min() > 0.5, "the marks must lie in the face"
    new, old = rgb(out), rgb(plate)
    assert np.all(new >= np.minimum(old, 0.0)), "a value went below the plate's own negatives"
    assert np.all(new[old >= 0] >= 0), "a new negative value"
    assert (old[STRIPE] < 0).any() and (old[STRIPE] == 0).any()
    assert new[HIGHLIGHT].min() > 1.0, "the plate's values above 1 were clipped"
    changed = np.abs(new - rgb(frame(shot["off"], MARKED)))[matte > 0.5].max()
    assert changed > 1e-3, "the detail match did nothing on the marked frame"
