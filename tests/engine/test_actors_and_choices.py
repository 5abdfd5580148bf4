"""Cuts, actors, offline `--target` and render options against the track file, end to end.

Plates are made from ../shared/assets: dance.mp4 spliced with itself mirrored and reframed (one
person, one cut) and two photos of different people one after the other (two people, one cut).
The identity model is the offline dlib recogniser (ArcFace is not installed in the test venv).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import cv2
import numpy as np
import pytest

from ghost_core import cli
from ghost_core.faces.trackfile import load_trackfile
from ghost_core.io.exr import read_frame
from tests.shots import ASSETS, colour_path, video_frames, write_plate_frame

SOURCE = str(ASSETS / "faces" / "elon_musk.jpg")
OFFLINE = ["--swapper", "morph", "--detector", "retinaface", "--landmarker", "mesh"]


def run(*argv: str) -> int:
    return cli.main(list(argv))


def _write(folder: Path, frames: list[np.ndarray]) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    color = colour_path()
    for i, rgb in enumerate(frames):
        write_plate_frame(folder / f"p.{1001 + i:04d}.exr", color.from_model(np.ascontiguousarray(rgb)))
    return str(folder / "p.####.exr")


def _photo_frame(name: str, size: int = 512) -> np.ndarray:
    """A photo from ../shared/assets/faces fitted into a size×size model-space frame."""
    bgr = cv2.imread(str(ASSETS / "faces" / name))
    scale = size / max(bgr.shape[:2])
    small = cv2.resize(bgr, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    frame = np.full((size, size, 3), 0.2, np.float32)
    h, w = small.shape[:2]
    y, x = (size - h) // 2, (size - w) // 2
    frame[y : y + h, x : x + w] = small[..., ::-1].astype(np.float32) / 255
    return frame


@pytest.fixture(scope="module")
def spliced(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """dance.mp4 frames 0-7, then frames 30-37 mirrored and shifted 120 px: a cut at 1009."""
    clip = video_frames("dance.mp4", 38)
    later = [np.ascontiguousarray(np.roll(f[:, ::-1], 120, axis=1)) for f in clip[30:38]]
    folder = tmp_path_factory.mktemp("spliced")
    plate = _write(folder, clip[:8] + later)
    track = str(folder / "t.json")
    assert run("track", "--plate", plate, "--source", SOURCE, "--out", track, *OFFLINE) == 0
    return {"plate": plate, "track": track, "folder": str(folder)}


@pytest.fixture(scope="module")
def two_people(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """obama.jpg on frames 1001-1003, biden2.jpg on 1004-1006, tracked with the defaults."""
    folder = tmp_path_factory.mktemp("people")
    plate = _write(folder, [_photo_frame("obama.jpg")] * 3 + [_photo_frame("biden2.jpg")] * 3)
    track = str(folder / "t.json")
    assert run("track", "--plate", plate, "--source", SOURCE, "--out", track, *OFFLINE) == 0
    return {"plate": plate, "track": track, "folder": str(folder)}


def test_one_person_across_a_cut_is_one_actor_and_fully_replaced(spliced: dict[str, str]) -> None:
    doc = json.loads(Path(spliced["track"]).read_text())
    assert doc["version"] == 2 and doc["cuts"] == [1009]
    tracks = doc["tracks"]
    assert [(t["frames"][0], t["frames"][-1]) for t in tracks] == [(1001, 1008), (1009, 1016)]
    assert [t["actor"] for t in tracks] == [1, 1]
    assert [t["source"] for t in tracks] == [0, 0], "the actor's second shot is left alone"
    assert doc["tracking"]["identity"]["name"] == "dlib_resnet_v1"


def test_different_people_across_a_cut_stay_apart_and_unselected_is_not_no_face(
    two_people: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    tf = load_trackfile(two_people["track"])
    assert tf.cuts == [1004]
    assert [(t.id, t.actor_id, t.source) for t in tf.tracks] == [(1, 1, 0), (2, 2, None)]
    out = str(Path(two_people["folder"]) / "default" / "o.####.exr")
    capsys.readouterr()
    code = run("render", "--plate", two_people["plate"], "--source", SOURCE, "--track",
               two_people["track"], "--out", out, *OFFLINE)  # fmt: skip
    assert code == 0
    text = capsys.readouterr().err
    assert "faces not selected on 3 frame(s) (1004-1006)" in text
    assert "no face to replace" not in text


def test_target_photo_works_offline(two_people: dict[str, str]) -> None:
    track = str(Path(two_people["folder"]) / "target.json")
    target = str(ASSETS / "faces" / "biden.jpg")  # another photo of the second person
    code = run("track", "--plate", two_people["plate"], "--source", SOURCE, "--target", target,
               "--out", track, *OFFLINE)  # fmt: skip
    assert code == 0
    tf = load_trackfile(track)
    assert {t.id: t.source for t in tf.tracks} == {1: None, 2: 0}


def test_render_applies_track_id_over_the_track_file_or_refuses(
    two_people: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    out = str(Path(two_people["folder"]) / "second" / "o.####.exr")
    base = ("render", "--plate", two_people["plate"], "--source", SOURCE, "--track", two_people["track"])
    assert run(*base, "--track-id", "2", "--out", out, *OFFLINE) == 0
    obama = read_frame(Path(out.replace("####", "1001")))
    biden = read_frame(Path(out.replace("####", "1005")))
    assert not obama.plane("ghost.matte").any(), "--track-id 2 was ignored: track 1 was replaced"
    assert biden.plane("ghost.matte").max() > 0.9
    capsys.readouterr()
    assert run(*base, "--track-id", "7", "--out", out, *OFFLINE) != 0
    assert re.search(r"--track-id 7: this shot has tracks \[1, 2\]", capsys.readouterr().err)


def test_version_1_track_files_still_load_and_render(two_people: dict[str, str]) -> None:
    doc = json.loads(Path(two_people["track"]).read_text())
    doc["version"] = 1
    del doc["cuts"]
    for t in doc["tracks"]:
        for key in ("actor", "interpolated", "embedding"):
            del t[key]
    old = Path(two_people["folder"]) / "v1.json"
    old.write_text(json.dumps(doc))
    tf = load_trackfile(old)
    assert tf.cuts == [] and [t.actor_id for t in tf.tracks] == [1, 2]
    out = str(Path(two_people["folder"]) / "v1" / "o.####.exr")
    code = run("render", "--plate", two_people["plate"], "--source", SOURCE, "--track", str(old),
               "--out", out, *OFFLINE)  # fmt: skip
    assert code == 0
    assert read_frame(Path(out.replace("####", "1002"))).plane("ghost.matte").max() > 0.9
