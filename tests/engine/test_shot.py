"""End to end on a real clip: track once, render whole and in chunks, check every pixel promise.

The plate is dance.mp4 made scene-linear (ACEScg half EXR); the swapper is the offline morph,
the detector the offline RetinaFace, the landmarks the offline face mesh: no downloads.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from ghost_core import cli
from ghost_core.io.exr import read_frame
from ghost_core.io.sequence import FramePattern
from tests.engine.conftest import ASSETS, DANCE_FRAMES

SOURCE = str(ASSETS / "faces" / "elon_musk.jpg")
OFFLINE = ["--swapper", "morph", "--detector", "retinaface", "--landmarker", "mesh"]


def run(*argv: str) -> int:
    return cli.main(list(argv))


@pytest.fixture(scope="module")
def shot(dance_plate: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The shot tracked once and rendered whole."""
    folder = tmp_path_factory.mktemp("render")
    track = str(folder / "dance.track.json")
    assert run("track", "--plate", dance_plate, "--source", SOURCE, "--out", track, *OFFLINE) == 0
    whole = str(folder / "whole" / "swap.####.exr")
    assert (
        run("render", "--plate", dance_plate, "--source", SOURCE, "--track", track, "--out", whole, *OFFLINE)
        == 0
    )
    return {"plate": dance_plate, "track": track, "whole": whole, "folder": str(folder)}


def frames_of(pattern: str) -> list[int]:
    return FramePattern.parse(pattern).discover()


def test_one_person_is_one_track(shot: dict[str, str]) -> None:
    doc = json.loads(Path(shot["track"]).read_text())
    tracks = doc["tracks"]
    assert len(tracks) == 1, [t["id"] for t in tracks]
    assert tracks[0]["id"] == 1
    assert len(tracks[0]["frames"]) >= DANCE_FRAMES - 2, "the dancer's face is lost on several frames"
    assert tracks[0]["source"] == 0


def test_chunks_equal_whole_render_bit_for_bit(shot: dict[str, str]) -> None:
    chunked = str(Path(shot["folder"]) / "chunks" / "swap.####.exr")
    last = 1000 + DANCE_FRAMES
    for spec in (f"1001-{1000 + 5}", f"{1006}-{1012}", f"1013-{last}"):
        code = run(
            "render", "--plate", shot["plate"], "--source", SOURCE, "--track", shot["track"],
            "--out", chunked, "--frames", spec, *OFFLINE,
        )  # fmt: skip
        assert code == 0
    whole, chunks = FramePattern.parse(shot["whole"]), FramePattern.parse(chunked)
    assert frames_of(shot["whole"]) == frames_of(chunked) == list(range(1001, last + 1))
    for f in range(1001, last + 1):
        a, b = read_frame(whole.path(f)), read_frame(chunks.path(f))
        assert a.channel_names == b.channel_names
        for name in a.channel_names:
            assert np.array_equal(
                a.plane(name).view(np.uint16 if a.plane(name).dtype == np.float16 else np.uint32),
                b.plane(name).view(np.uint16 if b.plane(name).dtype == np.float16 else np.uint32),
            ), (f, name)


def test_outside_the_matte_is_the_plate_bit_for_bit(shot: dict[str, str]) -> None:
    plate, out = FramePattern.parse(shot["plate"]), FramePattern.parse(shot["whole"])
    changed_frames = 0
    for f in frames_of(shot["whole"]):
        src, dst = read_frame(plate.path(f)), read_frame(out.path(f))
        matte = dst.plane("ghost.matte").astype(np.float32)
        assert np.isfinite(matte).all() and matte.min() >= 0.0 and matte.max() <= 1.0
        outside = matte == 0
        for name in "RGBA":
            before = src.plane(name).view(np.uint16)
            after = dst.plane(name).view(np.uint16)
            assert np.array_equal(before[outside], after[outside]), (f, name)
        inside = matte > 0.5
        if inside.any():
            changed_frames += 1
            diff = np.abs(src.plane("R").astype(np.float32) - dst.plane("R").astype(np.float32))
            assert diff[inside].mean() > 1e-3, f"frame {f}: the matte covers a face that did not change"
        # The 6.0 highlight in the corner is far from the face and survives exactly.
        assert np.all(dst.plane("R")[8:24, 8:40] == np.float16(6.0))
    assert changed_frames >= DANCE_FRAMES - 2


def test_matte_is_feathered_and_covers_the_face(shot: dict[str, str]) -> None:
    from ghost_core.faces.trackfile import load_trackfile

    tf = load_trackfile(shot["track"])
    out = FramePattern.parse(shot["whole"])
    f = tf.tracks[0].frames[len(tf.tracks[0].frames) // 2]
    matte = read_frame(out.path(f)).plane("ghost.matte").astype(np.float32)
    kps = tf.kps_at(1, f)
    nose = kps[2].round().astype(int)
    assert matte[nose[1], nose[0]] > 0.95, "the matte does not cover the nose"
    for eye in kps[:2].round().astype(int):  # morph keeps the plate's own eye openings (keep_expression)
        assert matte[eye[1], eye[0]] == 0.0
        below = eye + np.array([0, int(0.3 * np.linalg.norm(kps[1] - kps[0]))])
        assert matte[below[1], below[0]] > 0.9, "the matte does not cover the cheek under the eye"
    soft = ((matte > 0.02) & (matte < 0.98)).sum()
    solid = (matte >= 0.98).sum()
    assert soft > 0.15 * solid, "the matte edge is not feathered"
    eye_distance = float(np.linalg.norm(kps[1] - kps[0]))
    _, xs = np.nonzero(matte > 0)
    assert xs.max() - xs.min() < 6 * eye_distance, "the matte spreads far beyond the face"


def test_rerun_resumes_and_keeps_finished_frames(shot: dict[str, str]) -> None:
    out = FramePattern.parse(shot["whole"])
    stamps = {f: out.path(f).stat().st_mtime_ns for f in frames_of(shot["whole"])}
    victim = out.path(1003)
    victim.unlink()
    code = run(
        "render", "--plate", shot["plate"], "--source", SOURCE, "--track", shot["track"],
        "--out", shot["whole"], *OFFLINE,
    )  # fmt: skip
    assert code == 0 and victim.is_file()
    for f, stamp in stamps.items():
        if f != 1003:
            assert out.path(f).stat().st_mtime_ns == stamp, f"frame {f} was rendered again"


def test_source_without_a_face_names_the_file(shot: dict[str, str], tmp_path: Path) -> None:
    from tests.engine.conftest import write_plate_frame

    blank = tmp_path / "wall.exr"
    write_plate_frame(blank, np.full((300, 300, 3), 0.18, np.float32))
    code = run(
        "track", "--plate", shot["plate"], "--source", str(blank), "--out", str(tmp_path / "t.json"), *OFFLINE
    )
    assert code == 3


def test_frames_without_a_face_pass_through_with_an_empty_matte(tmp_path: Path) -> None:
    from tests.engine.conftest import colour_path, video_frames, write_plate_frame

    color = colour_path()
    face = video_frames("dance.mp4", 1)[0]
    frames = [face, np.full_like(face, 0.3), face]
    for i, rgb in enumerate(frames):
        write_plate_frame(tmp_path / f"p.{1 + i:04d}.exr", color.from_model(np.ascontiguousarray(rgb)))
    plate, out = str(tmp_path / "p.####.exr"), str(tmp_path / "o" / "o.####.exr")
    assert run("render", "--plate", plate, "--source", SOURCE, "--out", out, *OFFLINE) == 0
    empty = read_frame(Path(tmp_path / "o" / "o.0002.exr"))
    src = read_frame(Path(tmp_path / "p.0002.exr"))
    assert not empty.plane("ghost.matte").any()
    for name in "RGBA":
        assert np.array_equal(empty.plane(name).view(np.uint16), src.plane(name).view(np.uint16))
    assert read_frame(Path(tmp_path / "o" / "o.0001.exr")).plane("ghost.matte").max() > 0.9
