"""Frame patterns, frame specs, discovery and missing-frame errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from ghost_core.errors import InputError, UsageError
from ghost_core.io.sequence import (
    FramePattern,
    compact_frames,
    gaps,
    parse_frame_spec,
    resolve_frames,
)


@pytest.mark.parametrize(
    ("text", "frame", "expected"),
    [
        ("plates/shot.####.exr", 1001, "plates/shot.1001.exr"),
        ("plates/shot.####.exr", 7, "plates/shot.0007.exr"),
        ("plates/shot.#.exr", 7, "plates/shot.7.exr"),
        ("plates/shot.%04d.exr", 42, "plates/shot.0042.exr"),
        ("plates/shot.%d.exr", 42, "plates/shot.42.exr"),
        ("plates/shot.$F4.exr", 5, "plates/shot.0005.exr"),
        ("plates/shot.$F.exr", 5, "plates/shot.5.exr"),
        ("plates/shot.@@@@.exr", 12, "plates/shot.0012.exr"),
        ("plates/shot.@.exr", 12, "plates/shot.12.exr"),
        ("plates/shot_v####_final.exr", 1001, "plates/shot_v1001_final.exr"),
        ("plates/shot.####.exr", 123456, "plates/shot.123456.exr"),
        ("plates/shot.####.exr", -5, "plates/shot.-005.exr"),
    ],
)
def test_patterns_format_frames(text: str, frame: int, expected: str) -> None:
    pattern = FramePattern.parse(text)
    assert pattern.is_sequence
    assert pattern.path(frame) == Path(expected)


def test_plain_path_is_one_file() -> None:
    pattern = FramePattern.parse("plates/hero.exr")
    assert not pattern.is_sequence
    assert pattern.path(None) == Path("plates/hero.exr")
    with pytest.raises(UsageError):
        pattern.path(1001)


def test_two_tokens_are_refused() -> None:
    with pytest.raises(UsageError, match="more than one frame token"):
        FramePattern.parse("shot.####.%04d.exr")


def test_display_is_nuke_notation() -> None:
    assert FramePattern.parse("a/b.$F4.exr").display() == "a/b.####.exr"
    assert FramePattern.parse("a/b.%06d.exr").display() == "a/b.######.exr"


@pytest.mark.parametrize(
    ("spec", "frames"),
    [
        ("1001", [1001]),
        ("1001-1005", [1001, 1002, 1003, 1004, 1005]),
        ("1001-1010x3", [1001, 1004, 1007, 1010]),
        ("1001,1005,1010-1012", [1001, 1005, 1010, 1011, 1012]),
        ("1010-1012, 1001 ,1005", [1001, 1005, 1010, 1011, 1012]),
        ("1001-1003,1002-1004", [1001, 1002, 1003, 1004]),
        ("-3--1", [-3, -2, -1]),
        ("-2-1", [-2, -1, 0, 1]),
    ],
)
def test_frame_specs(spec: str, frames: list[int]) -> None:
    assert parse_frame_spec(spec) == frames


@pytest.mark.parametrize("spec", ["", "1001-", "10-1", "1001-1010x0", "a-b", "1001,,1002", "1001:1010"])
def test_bad_frame_specs(spec: str) -> None:
    with pytest.raises(UsageError, match="--frames"):
        parse_frame_spec(spec)


def test_compact_frames() -> None:
    assert compact_frames([1, 2, 3, 7, 9, 10]) == "1-3,7,9-10"
    assert compact_frames([]) == ""
    assert compact_frames(range(0, 100, 2), limit=3) == "0,2,4,... (47 more)"


def test_gaps_follow_the_step() -> None:
    assert gaps([1, 2, 4, 5]) == [3]
    assert gaps([1001, 1003, 1007]) == [1005]
    assert gaps([5]) == []


def _touch(folder: Path, names: list[str]) -> None:
    for name in names:
        (folder / name).write_bytes(b"")


def test_discover_keeps_exact_padding(tmp_path: Path) -> None:
    _touch(
        tmp_path, ["s.1001.exr", "s.1002.exr", "s.1004.exr", "s.01003.exr", "s.1005.exr.tmp", "t.1003.exr"]
    )
    (tmp_path / "s.1009.exr").mkdir()
    pattern = FramePattern.parse(str(tmp_path / "s.####.exr"))
    assert pattern.discover() == [1001, 1002, 1004]
    assert resolve_frames(pattern, None) == [1001, 1002, 1004]


def test_discover_every_dialect(tmp_path: Path) -> None:
    _touch(tmp_path, ["s.0001.exr", "s.0002.exr"])
    for text in ("s.####.exr", "s.%04d.exr", "s.$F4.exr", "s.@@@@.exr"):
        assert FramePattern.parse(str(tmp_path / text)).discover() == [1, 2]


def test_missing_frames_are_listed_compactly(tmp_path: Path) -> None:
    _touch(tmp_path, [f"s.{f}.exr" for f in (1001, 1002, 1006, 1010)])
    pattern = FramePattern.parse(str(tmp_path / "s.####.exr"))
    with pytest.raises(InputError) as error:
        resolve_frames(pattern, "1001-1010")
    message = str(error.value)
    assert "6 of 10 frames missing: 1003-1005,1007-1009" in message
    assert "s.####.exr" in message
    assert resolve_frames(pattern, "1001,1006,1010") == [1001, 1006, 1010]


def test_no_frames_on_disk(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no frames on disk"):
        resolve_frames(FramePattern.parse(str(tmp_path / "none.####.exr")), None)
    with pytest.raises(InputError, match="not found"):
        resolve_frames(FramePattern.parse(str(tmp_path / "none.exr")), None)
    with pytest.raises(UsageError):
        resolve_frames(FramePattern.parse(str(tmp_path / "none.exr")), "1-2")
