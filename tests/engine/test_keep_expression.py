"""`matte.keep_expression`: the plate's own eye openings and inner mouth come back through the matte.

dance.mp4 (4 frames, scene-linear) through the offline morph swapper: auto (on for morph), off,
lips and a chunked auto render, each writing the `expression` layer (the plate's kept regions in
the frame). Where that layer is solid the matte must be 0 and the plate's bits come through;
elsewhere the matte must equal the off render's bit for bit; chunks must equal the whole render.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from ghost_core import cli
from ghost_core.faces.align import estimate_norm, warp_crop
from ghost_core.faces.detectors import open_detector
from ghost_core.faces.landmarks import open_landmarker
from ghost_core.faces.regions import (
    EXPRESSION_FEATHER,
    EXPRESSION_GROW,
    OUTER_LIPS,
    expression_holdout,
    region_masks,
)
from ghost_core.io.exr import read_frame
from ghost_core.io.sequence import FramePattern
from ghost_core.io.source_image import read_source_image
from tests.shots import ASSETS, write_dance_plate

SOURCE = str(ASSETS / "faces" / "elon_musk.jpg")
OFFLINE = ["--swapper", "morph", "--detector", "retinaface", "--landmarker", "mesh"]
FRAMES = 4


def _bits(plane: np.ndarray) -> np.ndarray:
    return plane.view(np.uint16 if plane.dtype == np.float16 else np.uint32)


@pytest.fixture(scope="module")
def shot(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("expression")
    plate = write_dance_plate(folder, FRAMES)
    track = str(folder / "track.json")
    assert cli.main(["-q", "track", "--plate", plate, "--source", SOURCE, "--out", track, *OFFLINE]) == 0
    common = ["--plate", plate, "--source", SOURCE, "--track", track, *OFFLINE, "--layers", "expression"]
    outs = {name: str(folder / name / "o.####.exr") for name in ("off", "auto", "lips", "chunks")}
    assert cli.main(["-q", "render", *common, "--out", outs["off"], "--keep-expression", "off"]) == 0
    assert cli.main(["-q", "render", *common, "--out", outs["lips"], "--keep-expression", "lips"]) == 0
    assert cli.main(["-q", "render", *common, "--out", outs["auto"]]) == 0
    for spec in ("1001-1002", "1003-1004"):
        assert cli.main(["-q", "render", *common, "--out", outs["chunks"], "--frames", spec]) == 0
    return {"plate": plate, **outs}


def _frame(shot: dict[str, str], key: str, f: int):  # type: ignore[no-untyped-def]
    return read_frame(FramePattern.parse(shot[key]).path(f))


def test_kept_regions_are_the_plate_bit_exact(shot: dict[str, str]) -> None:
    for f in range(1001, 1001 + FRAMES):
        on, off, plate = _frame(shot, "auto", f), _frame(shot, "off", f), _frame(shot, "plate", f)
        layer = on.plane("ghost.expression")
        assert np.array_equal(_bits(layer), _bits(off.plane("ghost.expression"))), "layer depends on the knob"
        kept = layer.astype(np.float32)
        core = cv2.erode((kept >= 1.0).astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
        assert core.sum() > 20, f"{f}: no eye or mouth region on the plate"
        assert off.plane("ghost.matte").astype(np.float32)[core].mean() > 0.5, "off swaps the regions"
        assert np.all(on.plane("ghost.matte")[core] == 0)
        for name in "RGB":
            assert np.array_equal(_bits(on.plane(name))[core], _bits(plate.plane(name))[core]), (f, name)
        assert on.spec.get_string_attribute("ghost:keep_expression") == "on"
        assert off.spec.get_string_attribute("ghost:keep_expression") == "off"


def test_matte_is_unchanged_outside_the_kept_regions(shot: dict[str, str]) -> None:
    for f in range(1001, 1001 + FRAMES):
        on, off = _frame(shot, "auto", f), _frame(shot, "off", f)
        outside = on.plane("ghost.expression") == 0
        a, b = _bits(on.plane("ghost.matte")), _bits(off.plane("ghost.matte"))
        assert np.array_equal(a[outside], b[outside]), f
        assert not np.array_equal(a, b), f"{f}: keep_expression changed nothing"


def test_lips_keeps_the_plate_whole_mouth_bit_exact(shot: dict[str, str]) -> None:
    for f in range(1001, 1001 + FRAMES):
        lips, auto, plate = _frame(shot, "lips", f), _frame(shot, "auto", f), _frame(shot, "plate", f)
        assert lips.spec.get_string_attribute("ghost:keep_expression") == "lips"
        kept = lips.plane("ghost.expression").astype(np.float32)
        core = cv2.erode((kept >= 1.0).astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
        inner = auto.plane("ghost.expression").astype(np.float32)
        assert np.all(kept >= inner), f"{f}: lips keeps less than on"
        assert (kept >= 1.0).sum() > 1.1 * (inner >= 1.0).sum(), f"{f}: the lips are not kept"
        assert np.all(lips.plane("ghost.matte")[core] == 0)
        for name in "RGB":
            assert np.array_equal(_bits(lips.plane(name))[core], _bits(plate.plane(name))[core]), (f, name)
        outside = kept == 0
        a, b = _bits(lips.plane("ghost.matte")), _bits(_frame(shot, "off", f).plane("ghost.matte"))
        assert np.array_equal(a[outside], b[outside]), f


def test_chunks_equal_whole(shot: dict[str, str]) -> None:
    for f in range(1001, 1001 + FRAMES):
        a, b = _frame(shot, "auto", f), _frame(shot, "chunks", f)
        assert a.channel_names == b.channel_names
        for name in a.channel_names:
            assert np.array_equal(_bits(a.plane(name)), _bits(b.plane(name))), (f, name)


def test_holdout_is_solid_on_the_regions_and_feathered_outside() -> None:
    rgb = read_source_image(ASSETS / "faces" / "obama.jpg")
    crop = warp_crop(rgb, estimate_norm(open_detector("retinaface").detect(rgb)[0].kps))
    marks = open_landmarker("mesh").landmarks(crop[None])[0]
    hold = expression_holdout(marks)
    masks = region_masks(marks)
    hard = np.maximum(masks["eyes"], masks["mouth"]) > 0
    assert hold.dtype == np.float32 and hold.min() >= 0.0 and hold.max() <= 1.0
    assert np.all(hold[hard] == 1.0)
    assert hold[masks["nose"] > 0].mean() < 0.2
    for name in ("eyes", "mouth"):  # solid to just inside its margin, zero just past margin + feather
        region = masks[name].astype(np.uint8)
        grow, reach = int(EXPRESSION_GROW[name]) - 1, int(EXPRESSION_GROW[name] + EXPRESSION_FEATHER) + 1
        disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1,) * 2)
        near = cv2.dilate(region, disc) > 0
        assert np.all(hold[near] == 1.0), name
        band = (cv2.dilate(region, np.ones((2 * reach + 1,) * 2, np.uint8)) > 0) & ~near
        other = "mouth" if name == "eyes" else "eyes"
        band &= cv2.dilate(masks[other].astype(np.uint8), np.ones((41, 41), np.uint8)) == 0
        assert band.any() and hold[band].min() == 0.0, name
    wide = cv2.dilate(masks["mouth"].astype(np.uint8), np.ones((9, 9), np.uint8)) > 0  # 4 px: eyes' fade
    assert np.all(hold[wide] == 1.0), "the mouth's margin is no wider than the eyes'"
    soft = (hold > 0) & (hold < 1)
    assert soft.sum() > hard.sum() * 0.2, "no soft edge"
    far = cv2.dilate(hard.astype(np.uint8), np.ones((23, 23), np.uint8)) == 0  # past every grow + feather
    assert np.all(hold[far] == 0.0)
    assert np.array_equal(hold, expression_holdout(marks)), "not deterministic"
    lips = expression_holdout(marks, lips=True)
    outer = np.zeros_like(hold)
    cv2.fillConvexPoly(
        outer, cv2.convexHull(np.round(marks.points[list(OUTER_LIPS["face_mesh_468"])]).astype(np.int32)), 1.0
    )
    assert np.all(lips[outer > 0] == 1.0), "lips: the plate's whole lips are not solid"
    assert np.all(lips >= hold) and (lips == 1.0).sum() > 1.05 * (hold == 1.0).sum()
    eyes_only = cv2.dilate(outer.astype(np.uint8), np.ones((23, 23), np.uint8)) == 0
    assert np.array_equal(lips[eyes_only], hold[eyes_only]), "lips changed the eyes' hold-out"


@pytest.mark.slow
def test_ghost_default_is_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dance_plate: str, random_ghost_home: Path
) -> None:
    """GHOST's AEI-Net keeps the target's expression itself: auto must leave its output as it was."""
    monkeypatch.setenv("GHOSTSWAP_HOME", str(random_ghost_home))
    common = [
        "-q", "render", "--plate", dance_plate, "--frames", "1001", "--source", SOURCE, "--swapper", "ghost",
        "--model", "ghost_unet_1block", "--detector", "retinaface", "--landmarker", "mesh",
    ]  # fmt: skip
    assert cli.main([*common, "--out", str(tmp_path / "auto" / "g.####.exr")]) == 0
    assert cli.main([*common, "--out", str(tmp_path / "off" / "g.####.exr"), "--keep-expression", "off"]) == 0
    a, b = read_frame(tmp_path / "auto" / "g.1001.exr"), read_frame(tmp_path / "off" / "g.1001.exr")
    assert a.plane("ghost.matte").astype(np.float32).max() > 0.9
    assert a.spec.get_string_attribute("ghost:keep_expression") == "off"
    assert a.channel_names == b.channel_names
    for name in a.channel_names:
        assert np.array_equal(_bits(a.plane(name)), _bits(b.plane(name))), name
