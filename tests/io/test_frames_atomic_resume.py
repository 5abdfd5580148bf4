"""Atomic writes leave either the finished file or nothing; resume trusts only finished GhostSwap frames."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest

from ghost_core.errors import OutputError
from ghost_core.io.atomic import (
    SIBLING_GRACE_S,
    atomic_output,
    check_output_folder,
    make_output_folder,
    temp_path_for,
)
from ghost_core.io.exr import read_frame
from ghost_core.io.exr_write import write_frame
from ghost_core.io.resume import is_complete, should_write

H, W = 40, 48


def _plate(exr, path: Path) -> Path:
    rgba = exr.plate(H, W).astype(np.float16)
    return exr.write(path, {c: rgba[..., i] for i, c in enumerate("RGBA")})


def test_temp_file_is_hidden_beside_the_target() -> None:
    tmp = temp_path_for(Path("/shots/out/s.1001.exr"))
    assert tmp.parent == Path("/shots/out")
    assert tmp.name.startswith(".s.1001.exr.ghost-") and str(os.getpid()) in tmp.name
    assert tmp.suffix == ".exr"


def test_atomic_output_replaces_on_success(tmp_path: Path) -> None:
    target = tmp_path / "f.txt"
    target.write_text("old")
    with atomic_output(target) as tmp:
        tmp.write_text("new")
        assert target.read_text() == "old"
    assert target.read_text() == "new"
    assert os.listdir(tmp_path) == ["f.txt"]


def test_a_killed_writers_temp_file_goes_when_the_frame_is_rewritten(tmp_path: Path) -> None:
    target = tmp_path / "f.1002.exr"
    abandoned = temp_path_for(target, pid=999_999)  # what SIGKILL left mid-write
    abandoned.write_text("half")
    os.utime(abandoned, (1.0e9, 1.0e9))
    other = temp_path_for(tmp_path / "f.1003.exr", pid=999_999)  # another frame: not ours to judge
    other.write_text("half")
    with atomic_output(target) as tmp:
        tmp.write_text("whole")
    assert sorted(os.listdir(tmp_path)) == sorted([target.name, other.name])


def test_a_sibling_still_being_written_is_left_alone(tmp_path: Path) -> None:
    target = tmp_path / "f.1002.exr"
    busy = temp_path_for(target, pid=999_998)
    with atomic_output(target) as tmp:
        busy.write_text("in flight")  # modified while we wrote: a live writer
        # The kernel's coarse mtime clock can stamp it a few ms before our start (CI saw it removed).
        lagged = time.time() - 0.005
        os.utime(busy, (lagged, lagged))
        tmp.write_text("whole")
    assert busy.exists()


def test_a_sibling_untouched_for_seconds_before_the_write_is_abandoned(tmp_path: Path) -> None:
    """A worker killed moments ago: a resumed render removes its temp file within seconds."""
    target = tmp_path / "f.1002.exr"
    killed = temp_path_for(target, pid=999_997)
    killed.write_text("half")
    stamp = time.time() - 2 * SIBLING_GRACE_S
    os.utime(killed, (stamp, stamp))
    with atomic_output(target) as tmp:
        tmp.write_text("whole")
    assert not killed.exists()


def test_atomic_output_cleans_up_on_error(tmp_path: Path) -> None:
    target = tmp_path / "f.txt"
    with pytest.raises(RuntimeError), atomic_output(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("disk full")
    assert os.listdir(tmp_path) == []


def test_failed_frame_write_leaves_nothing(tmp_path: Path, exr, monkeypatch: pytest.MonkeyPatch) -> None:
    frame = read_frame(_plate(exr, tmp_path / "in.exr"))
    import ghost_core.io.exr_write as exr_write

    def broken(*args, **kwargs):
        raise OutputError("simulated write failure")

    monkeypatch.setattr(exr_write, "_write_parts", broken)
    frame.part_count = 2  # route through the patched multi-part writer
    with pytest.raises(OutputError):
        write_frame(tmp_path / "out.exr", frame)
    assert sorted(os.listdir(tmp_path)) == ["in.exr"]


def test_output_folder_checks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    check_output_folder(tmp_path / "new" / "deeper")  # creatable: fine, and not created yet
    assert not (tmp_path / "new").exists()
    make_output_folder(tmp_path / "new" / "deeper")
    assert (tmp_path / "new" / "deeper").is_dir()
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OutputError, match="is a file"):
        check_output_folder(blocker / "out")
    monkeypatch.setattr(os, "access", lambda *a, **k: False)
    with pytest.raises(OutputError, match="not writable"):
        check_output_folder(tmp_path)


def test_resume_accepts_only_complete_frames(tmp_path: Path, exr) -> None:
    frame = read_frame(_plate(exr, tmp_path / "in.exr"))
    out = tmp_path / "out.exr"
    channels = ["R", "G", "B", "A", "ghost.matte"]
    assert not is_complete(out, channels)
    write_frame(out, frame)
    assert is_complete(out, channels)
    assert not should_write(out, channels) and should_write(out, channels, overwrite=True)
    assert not is_complete(out, [*channels, "extra"])  # different layout: render again

    assert not is_complete(tmp_path / "in.exr", ["R", "G", "B", "A"])  # no ghost:complete marker

    data = out.read_bytes()
    truncated = tmp_path / "cut.exr"
    truncated.write_bytes(data[: len(data) * 2 // 3])
    assert not is_complete(truncated, channels)

    junk = tmp_path / "junk.exr"
    junk.write_text("not an exr")
    assert not is_complete(junk, channels)


def test_resume_takes_a_frame_older_than_any_of_its_inputs_as_stale(tmp_path: Path, exr) -> None:
    plate = _plate(exr, tmp_path / "in.exr")
    roto = tmp_path / "roto.exr"
    roto.write_bytes(plate.read_bytes())
    out = tmp_path / "out.exr"
    channels = ["R", "G", "B", "A", "ghost.matte"]
    write_frame(out, read_frame(plate))
    written = out.stat().st_mtime_ns
    os.utime(plate, ns=(written - 10**9, written - 10**9))
    os.utime(roto, ns=(written - 10**9, written - 10**9))
    assert is_complete(out, channels, newer_than=plate)
    assert is_complete(out, channels, newer_than=[plate, roto])
    os.utime(roto, ns=(written + 10**9, written + 10**9))  # the roto was re-drawn after the render
    assert is_complete(out, channels, newer_than=plate)
    assert not is_complete(out, channels, newer_than=[plate, roto])
    roto.unlink()  # an input gone: render again, which reports it
    assert not is_complete(out, channels, newer_than=[plate, roto])
