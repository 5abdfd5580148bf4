"""Occlusion, region layers and holdout end to end: a disc over the face on one frame, a roto box.

The plate is dance.mp4 (6 frames) made scene-linear; frame 1004 gets a dark disc over the mouth
and a holdout sequence holds one box out on every frame. Whole and chunked renders must agree
bit for bit with occlusion on, and the plate's bits must come through wherever the final matte is 0.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from ghost_core import cli
from ghost_core.faces.trackfile import load_trackfile
from ghost_core.io.exr import read_frame
from ghost_core.io.sequence import FramePattern
from tests.shots import ASSETS, colour_path, video_frames, write_plate_frame

SOURCE = str(ASSETS / "faces" / "elon_musk.jpg")
OFFLINE = ["--swapper", "morph", "--detector", "retinaface", "--landmarker", "mesh"]
FRAMES = 6
OCCLUDED = 1004
LAYERS = ("ghost.occlusion", "ghost.skin", "ghost.brows", "ghost.eyes", "ghost.nose", "ghost.mouth")


def _bits(plane: np.ndarray) -> np.ndarray:
    return plane.view(np.uint16 if plane.dtype == np.float16 else np.uint32)


@pytest.fixture(scope="module")
def shot(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    folder = tmp_path_factory.mktemp("occlusion")
    color = colour_path()
    frames = [color.from_model(np.ascontiguousarray(f)) for f in video_frames("dance.mp4", FRAMES)]
    for i, linear in enumerate(frames):
        write_plate_frame(folder / f"plate.{1001 + i}.exr", linear)
    plate, track = str(folder / "plate.####.exr"), str(folder / "track.json")
    assert cli.main(["-q", "track", "--plate", plate, "--source", SOURCE, "--out", track, *OFFLINE]) == 0
    kps = load_trackfile(track).kps_at(1, OCCLUDED)
    mouth = kps[3:].mean(0)
    radius = int(0.45 * np.linalg.norm(kps[1] - kps[0]))
    disc = np.zeros(frames[0].shape[:2], np.uint8)
    cv2.circle(disc, (int(mouth[0]), int(mouth[1])), radius, 1, -1)
    occluded = frames[OCCLUDED - 1001].copy()
    occluded[disc > 0] = (0.01, 0.01, 0.012)
    write_plate_frame(folder / f"plate.{OCCLUDED}.exr", occluded)  # the track stays the clean one
    hold = np.zeros(frames[0].shape[:2], np.float32)
    eye = kps[0].round().astype(int)
    hold[eye[1] - 6 : eye[1] + 6, eye[0] - 6 : eye[0] + 6] = 1.0  # roto over the image-left eye
    for i in range(FRAMES):
        write_plate_frame(folder / f"hold.{1001 + i}.exr", np.dstack([hold] * 3), {"A": hold})
    # The plate's eyes and mouth stay swapped (keep_expression off), so the disc and the roto box
    # over them test occlusion and the holdout alone.
    common = ["--plate", plate, "--source", SOURCE, "--track", track, *OFFLINE, "--keep-expression", "off"]
    extra = ["--occlusion", "auto", "--layers", "all", "--holdout", str(folder / "hold.####.exr")]
    outs = {name: str(folder / name / "o.####.exr") for name in ("off", "whole", "chunks")}
    assert cli.main(["-q", "render", *common, "--out", outs["off"]]) == 0
    assert cli.main(["-q", "render", *common, "--out", outs["whole"], *extra]) == 0
    for spec in ("1001-1003", "1004-1006"):
        assert cli.main(["-q", "render", *common, "--out", outs["chunks"], "--frames", spec, *extra]) == 0
    return {"plate": plate, "disc": disc > 0, "hold": hold > 0, **outs}


def _frame(shot: dict[str, object], key: str, f: int):  # type: ignore[no-untyped-def]
    return read_frame(FramePattern.parse(str(shot[key])).path(f))


def test_every_layer_is_written_and_holds_its_region(shot: dict[str, object]) -> None:
    out = _frame(shot, "whole", 1002)
    assert set(LAYERS) <= set(out.channel_names)
    matte = out.plane("ghost.matte").astype(np.float32)
    layers = {n: out.plane(n).astype(np.float32) for n in LAYERS}
    for name in LAYERS[1:]:
        assert layers[name].max() > 0.5, f"{name} is empty"
        assert (matte[layers[name] > 0.5] > 0).mean() > 0.9, f"{name} lies outside the face matte"
    # Regions do not overlap the way faces are built: eyes and brows are not skin.
    assert (layers["ghost.skin"][layers["ghost.eyes"] > 0.5] < 0.5).mean() > 0.9
    assert layers["ghost.brows"][layers["ghost.eyes"] > 0.5].max() < 0.5


def test_occluder_is_found_and_kept_bit_exact(shot: dict[str, object]) -> None:
    disc = shot["disc"]
    assert isinstance(disc, np.ndarray)
    off = _frame(shot, "off", OCCLUDED).plane("ghost.matte").astype(np.float32)
    assert off[disc].min() > 0, "without occlusion the swap paints over the disc"
    out, plate = (
        _frame(shot, "whole", OCCLUDED),
        read_frame(FramePattern.parse(str(shot["plate"])).path(OCCLUDED)),
    )
    occlusion = out.plane("ghost.occlusion").astype(np.float32) > 0.5
    truth = disc & (off > 0)
    iou = (occlusion & truth).sum() / (occlusion | truth).sum()
    assert iou > 0.6, iou
    core = cv2.erode(disc.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    assert np.all(out.plane("ghost.matte")[core] == 0)
    for name in "RGB":
        assert np.array_equal(_bits(out.plane(name))[core], _bits(plate.plane(name))[core])
    # Frames without an occluder keep (almost) all of their matte.
    clean_on = _frame(shot, "whole", 1002).plane("ghost.matte").astype(np.float32)
    clean_off = _frame(shot, "off", 1002).plane("ghost.matte").astype(np.float32)
    hold = shot["hold"]
    assert clean_on[~hold].sum() > 0.97 * clean_off[~hold].sum()


def test_holdout_subtracts_from_the_matte(shot: dict[str, object]) -> None:
    hold = shot["hold"]
    assert isinstance(hold, np.ndarray)
    for f in (1001, 1005):
        off = _frame(shot, "off", f).plane("ghost.matte")
        out = _frame(shot, "whole", f)
        assert off[hold].min() > 0.5, "the roto box lies inside the face"
        assert np.all(out.plane("ghost.matte")[hold] == 0)
        plate = read_frame(FramePattern.parse(str(shot["plate"])).path(f))
        for name in "RGB":
            assert np.array_equal(_bits(out.plane(name))[hold], _bits(plate.plane(name))[hold])


def test_chunks_equal_whole_with_occlusion_on(shot: dict[str, object]) -> None:
    for f in range(1001, 1001 + FRAMES):
        a, b = _frame(shot, "whole", f), _frame(shot, "chunks", f)
        assert a.channel_names == b.channel_names
        for name in a.channel_names:
            assert np.array_equal(_bits(a.plane(name)), _bits(b.plane(name))), (f, name)


def test_outside_the_final_matte_is_the_plate(shot: dict[str, object]) -> None:
    plate = FramePattern.parse(str(shot["plate"]))
    for f in range(1001, 1001 + FRAMES):
        out, src = _frame(shot, "whole", f), read_frame(plate.path(f))
        outside = out.plane("ghost.matte") == 0
        for name in "RGBA":
            assert np.array_equal(_bits(out.plane(name))[outside], _bits(src.plane(name))[outside]), (f, name)
