"""Pose honesty: faces past the yaw limit are skipped with an empty matte and reported, not "replaced"."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from ghost_core import cli
from ghost_core.faces.pose import FRONTAL_RATIO, frontal_ratio, judge, span_ratio, turn_degrees, yaw_degrees
from ghost_core.io.exr import read_frame
from tests.engine.conftest import ASSETS

SOURCE = str(ASSETS / "faces" / "elon_musk.jpg")
OFFLINE = ["--swapper", "morph", "--detector", "retinaface", "--landmarker", "mesh"]


def five_points(nose_shift: float, roll_degrees: float = 0.0) -> np.ndarray:
    """ArcFace-order key points of a face with eyes 60 px apart, nose moved by `nose_shift` eye half-spans."""
    points = np.array([[-30, 0], [30, 0], [30 * nose_shift, 25], [-22, 50], [22, 50]], np.float64)
    a = math.radians(roll_degrees)
    rotation = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    return points @ rotation.T + [200, 150]


@pytest.mark.parametrize("roll", [0.0, 30.0, -75.0])
def test_yaw_follows_the_nose_offset_whatever_the_roll(roll: float) -> None:
    assert abs(yaw_degrees(five_points(0.0, roll))) < 1e-6
    assert yaw_degrees(five_points(1.0, roll)) == pytest.approx(45.0)
    assert yaw_degrees(five_points(-math.sqrt(3), roll)) == pytest.approx(-60.0)


def test_collapsed_eyes_count_as_a_profile() -> None:
    kps = five_points(0.5)
    kps[1] = kps[0]
    assert yaw_degrees(kps) == 90.0
    assert judge(kps, 45, 65).verdict == "skip"


def test_a_profile_whose_nose_reads_frontal_again_is_skipped_by_its_eye_span() -> None:
    # past about 70° the far eye lands by the nose, so the nose offset reads small again; the
    # eye span has shrunk to cos(80°) of the track's frontal span over the eyes-to-mouth distance
    frontal = five_points(0.0)
    profile = frontal.copy()
    profile[1, 0] = profile[0, 0] + 60 * math.cos(math.radians(80))
    middle = (profile[0, 0] + profile[1, 0]) / 2
    profile[2, 0] = middle + 3  # the nose between them
    profile[3:, 0] = middle + np.array([-22, 22]) * math.cos(math.radians(80))  # the mouth turns too
    assert abs(yaw_degrees(profile)) < 30
    ratio = frontal_ratio([frontal] * 9 + [profile])
    assert ratio == pytest.approx(span_ratio(frontal))
    assert abs(turn_degrees(profile, ratio)) == pytest.approx(80.0, abs=0.5)
    assert judge(profile, 45, 65, ratio).verdict == "skip"
    assert judge(frontal, 45, 65, ratio).verdict == "swap"


def test_a_track_that_never_faces_the_camera_keeps_the_typical_frontal_ratio() -> None:
    turned = five_points(0.0)
    turned[1, 0] = turned[0, 0] + 15  # a quarter of the span: cos(yaw) = 0.25 of a frontal 1.2
    assert frontal_ratio([turned] * 5) == FRONTAL_RATIO
    assert frontal_ratio([]) == FRONTAL_RATIO
    # against the typical ratio it reads less turned than it is (75.5°), never more
    assert 65 < abs(turn_degrees(turned, FRONTAL_RATIO)) < 75.5
    slightly = five_points(0.3)
    slightly[1, 0] = slightly[0, 0] + 40  # the span reads 49°, short of 60°: the nose's 44° stands
    assert turn_degrees(slightly, 1.2) == pytest.approx(yaw_degrees(slightly))


def test_verdicts_and_reasons_name_the_flag() -> None:
    assert judge(five_points(0.2), 45, 65).verdict == "swap"
    warn = judge(five_points(1.5), 45, 65)  # atan(1.5) = 56°
    assert warn.verdict == "warn" and "56°" in warn.reason and "--warn-yaw" in warn.reason
    skip = judge(five_points(3.0), 45, 65)  # 72°
    assert skip.verdict == "skip" and "--max-yaw" in skip.reason


@pytest.fixture(scope="module")
def tracked(short_plate: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("pose")
    track = str(folder / "t.json")
    assert cli.main(["track", "--plate", short_plate, "--source", SOURCE, "--out", track, *OFFLINE]) == 0
    return {"plate": short_plate, "track": track, "folder": str(folder)}


def _render(tracked: dict[str, str], name: str, *extra: str, capsys: pytest.CaptureFixture[str]) -> dict:
    out = str(Path(tracked["folder"]) / name / "o.####.exr")
    argv = ["--json", "render", "--plate", tracked["plate"], "--source", SOURCE, "--track", tracked["track"]]
    capsys.readouterr()
    assert cli.main([*argv, "--out", out, *OFFLINE, *extra]) == 0
    captured = capsys.readouterr()
    summary = json.loads(captured.out)
    summary["stderr"] = captured.err
    summary["pattern"] = out
    return summary


def test_faces_past_max_yaw_are_skipped_not_replaced(
    tracked: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    summary = _render(tracked, "skip", "--max-yaw", "0", "--warn-yaw", "0", capsys=capsys)
    assert summary["faces_replaced"] == 0
    assert summary["faces_skipped"] == 4 and summary["frames_without_face"] == []
    assert {f["frame"] for f in summary["skipped_faces"]} == {1001, 1002, 1003, 1004}
    assert all("--max-yaw" in f["reason"] for f in summary["skipped_faces"])
    assert "1001-1004" in summary["stderr"] and "skipped" in summary["stderr"]
    assert "no face to replace" not in summary["stderr"]
    for frame in range(1001, 1005):
        out = read_frame(Path(summary["pattern"].replace("####", str(frame))))
        plate = read_frame(Path(tracked["plate"].replace("####", str(frame))))
        assert not out.plane("ghost.matte").any()
        for name in "RGB":
            assert np.array_equal(out.plane(name).view(np.uint16), plate.plane(name).view(np.uint16))


def test_faces_past_warn_yaw_are_swapped_and_named(
    tracked: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    summary = _render(tracked, "warn", "--warn-yaw", "0", capsys=capsys)
    assert summary["faces_replaced"] == 4 and summary["faces_skipped"] == 0
    assert len(summary["warned_faces"]) == 4 and "past the pose warning limit" in summary["stderr"]
    normal = _render(tracked, "normal", capsys=capsys)
    assert normal["faces_replaced"] == 4 and normal["warned_faces"] == [] and normal["skipped_faces"] == []


def test_a_swap_that_changes_nothing_is_reported_as_skipped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The track saw a face on frame 2, the plate there now has none: morph returns the crop as it was."""
    from tests.engine.conftest import colour_path, video_frames, write_plate_frame

    color = colour_path()
    faces = video_frames("dance.mp4", 3)
    for i, rgb in enumerate(faces):
        write_plate_frame(tmp_path / f"p.{1 + i:04d}.exr", color.from_model(np.ascontiguousarray(rgb)))
    plate, track = str(tmp_path / "p.####.exr"), str(tmp_path / "t.json")
    assert cli.main(["track", "--plate", plate, "--source", SOURCE, "--out", track, *OFFLINE]) == 0
    write_plate_frame(tmp_path / "p.0002.exr", color.from_model(np.full_like(faces[1], 0.3)))
    summary = _render({"plate": plate, "track": track, "folder": str(tmp_path)}, "o", capsys=capsys)
    assert summary["faces_replaced"] == 2
    assert [(f["frame"], f["reason"]) for f in summary["skipped_faces"]] == [
        (2, "swapper returned it unchanged")
    ]
    assert not read_frame(tmp_path / "o" / "o.0002.exr").plane("ghost.matte").any()
