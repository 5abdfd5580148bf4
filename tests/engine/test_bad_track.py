"""A bad `--track` file stops `ghostswap render` with a typed exit code and one line, never a traceback.

Farm wrappers and hosts show the CLI's last stderr line and branch on its exit code, so each way a
track file can be wrong (damaged JSON, a version this build cannot read, another shot's file) must
reach them as a TrackFileError, before any frame is written.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest

from ghost_core import cli
from ghost_core.errors import TrackFileError
from ghost_core.io.sequence import FramePattern
from tests.shots import ASSETS, colour_path, video_frames, write_plate_frame

SOURCE = str(ASSETS / "faces" / "elon_musk.jpg")
OFFLINE = ["--swapper", "morph", "--detector", "retinaface", "--landmarker", "mesh"]


@pytest.fixture(scope="module")
def tracks(short_plate: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The short shot's own track file, and one made on another (smaller) shot with the same photo."""
    folder = tmp_path_factory.mktemp("bad_track")
    good = str(folder / "good.json")
    assert cli.main(["-q", "track", "--plate", short_plate, "--source", SOURCE, "--out", good, *OFFLINE]) == 0
    color = colour_path()
    for i, rgb in enumerate(video_frames("dance.mp4", 2)):
        small = cv2.resize(rgb, (rgb.shape[1] * 3 // 4, rgb.shape[0] * 3 // 4), interpolation=cv2.INTER_AREA)
        write_plate_frame(folder / f"other.{1001 + i:04d}.exr", color.from_model(np.ascontiguousarray(small)))
    other = str(folder / "other.json")
    other_plate = str(folder / "other.####.exr")
    argv = ["-q", "track", "--plate", other_plate, "--source", SOURCE, "--out", other, *OFFLINE]
    assert cli.main(argv) == 0
    return {"plate": short_plate, "good": good, "other": other, "folder": str(folder)}


def _edited(tracks: dict[str, str], name: str, change: Callable[[dict], object]) -> str:
    doc = json.loads(Path(tracks["good"]).read_text())
    doc = change(doc) or doc
    path = Path(tracks["folder"]) / name
    path.write_text(json.dumps(doc))
    return str(path)


def _set(doc: dict, key: str, value: object) -> None:
    doc[key] = value


CASES: dict[str, tuple[Callable[[dict], object], str]] = {
    "a list, not an object": (lambda d: [d], "not a GhostSwap track file"),
    "tracks not a list": (lambda d: _set(d, "tracks", {"1": d["tracks"]}), r"tracks must be a list"),
    "key points of the wrong shape": (
        lambda d: _set(d["tracks"][0], "smoothed_kps", [[1.0, 2.0]] * len(d["tracks"][0]["frames"])),
        r"tracks\[0\]\.smoothed_kps must be a list of shape",
    ),
    "a source that is not given": (lambda d: _set(d["tracks"][0], "source", 3), "source 4"),
    "a newer version": (lambda d: _set(d, "version", 3), "version 3 was written by a newer GhostSwap"),
    "a version that is not a number": (lambda d: _set(d, "version", "1"), "version must be a positive"),
    "other source photos": (lambda d: _set(d["sources"][0], "sha256", "0" * 64), "other source photos"),
}


def _render(tracks: dict[str, str], track: str, out: str, *extra: str) -> list[str]:
    return [
        "render", "--plate", tracks["plate"], "--source", SOURCE, "--track", track, "--out", out,
        *OFFLINE, *extra,
    ]  # fmt: skip


def _assert_one_line(err: str, expected: str) -> None:
    assert "Traceback" not in err, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("ghostswap: ERROR: "), err
    assert re.search(expected, lines[0]), lines[0]


@pytest.mark.parametrize("case", list(CASES))
def test_bad_track_file_is_a_typed_one_line_error(
    tracks: dict[str, str], case: str, capsys: pytest.CaptureFixture[str]
) -> None:
    change, expected = CASES[case]
    track = _edited(tracks, f"{case.replace(' ', '_')}.json", change)
    out = str(Path(tracks["folder"]) / case.replace(" ", "_") / "swap.####.exr")
    capsys.readouterr()
    assert cli.main(["-q", *_render(tracks, track, out)]) == TrackFileError.exit_code
    captured = capsys.readouterr()
    _assert_one_line(captured.err, expected)
    assert not FramePattern.parse(out).discover(), "no frame may be written from a bad track file"


def test_another_shots_track_file_is_refused_before_rendering(
    tracks: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    out = str(Path(tracks["folder"]) / "from_other" / "swap.####.exr")
    for frames in ([], ["--frames", "1001-1002"]):  # also when the frame numbers happen to match
        capsys.readouterr()
        assert cli.main(["-q", *_render(tracks, tracks["other"], out, *frames)]) == TrackFileError.exit_code
        _assert_one_line(capsys.readouterr().err, "belongs to another shot")
    assert not FramePattern.parse(out).discover()


def test_json_reports_the_error_type_for_hosts(
    tracks: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    track = _edited(tracks, "newer.json", lambda d: _set(d, "version", 99))
    out = str(Path(tracks["folder"]) / "json" / "swap.####.exr")
    capsys.readouterr()
    assert cli.main(["-q", "--json", *_render(tracks, track, out)]) == TrackFileError.exit_code
    doc = json.loads(capsys.readouterr().out)
    assert doc["ok"] is False and doc["error"] == "TrackFileError" and "\n" not in doc["message"]


def test_the_good_track_file_still_renders(tracks: dict[str, str]) -> None:
    out = str(Path(tracks["folder"]) / "good" / "swap.####.exr")
    assert cli.main(["-q", *_render(tracks, tracks["good"], out, "--frames", "1001")]) == 0
    assert FramePattern.parse(out).discover() == [1001]
