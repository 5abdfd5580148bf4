"""`ghostswap bake --job` on a real EXR shot: track once, render, reuse, and never show a stale frame."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from ghost_core.cli import main
from ghost_core.io.exr import read_frame, read_header
from ghost_core.io.sequence import FramePattern
from tests.shots import ASSETS

PHOTO = str(ASSETS / "faces" / "elon_musk.jpg")


def _bake(job: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> dict:
    assert main(["-q", "--json", "bake", "--job", str(job), *extra]) == 0
    return json.loads(capsys.readouterr().out)


def _write_job(folder: Path, plate: str, **extra: object) -> Path:
    job = {
        "schema": "ghostswap.job",
        "version": 1,
        "plate": plate,
        "sources": [PHOTO],
        "cache": {"root": "cache", "node": "GhostSwap1"},
        "swapper": {"name": "morph"},
        **extra,
    }
    path = folder / "job.json"
    path.write_text(json.dumps(job))
    return path


def test_bake_tracks_once_renders_and_keys_the_cache_on_knobs(
    short_plate: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = _bake(_write_job(tmp_path, short_plate), capsys)
    assert first["tracked"] and first["written"] == 4 and first["faces_replaced"] == 4
    out = FramePattern.parse(first["output"])
    assert Path(first["cache_dir"]) == out.path(1001).parent
    assert read_header(out.path(1001)).get_string_attribute("ghost:render_digest")

    again = _bake(_write_job(tmp_path, short_plate), capsys)
    assert not again["tracked"] and again["written"] == 0 and again["skipped_complete"] == 4

    eroded = _bake(_write_job(tmp_path, short_plate, matte={"erode": 12}), capsys)
    assert not eroded["tracked"], "a matte knob must not re-track the shot"
    assert eroded["cache_dir"] != first["cache_dir"] and eroded["written"] == 4
    a = read_frame(out.path(1002)).plane("ghost.matte").astype(np.float32)
    b = read_frame(FramePattern.parse(eroded["output"]).path(1002)).plane("ghost.matte").astype(np.float32)
    assert (b > 0.5).sum() < (a > 0.5).sum(), "erode 12 must shrink the matte"


def test_a_rewritten_plate_frame_is_tracked_and_rendered_again(
    short_plate: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plate_dir = tmp_path / "plate"
    plate_dir.mkdir()
    src = FramePattern.parse(short_plate)
    for f in range(1001, 1005):
        (plate_dir / f"plate.{f:04d}.exr").write_bytes(src.path(f).read_bytes())
    job = _write_job(tmp_path, str(plate_dir / "plate.####.exr"))
    first = _bake(job, capsys, "--frames", "1001-1002")
    assert first["written"] == 2
    # Newer than both the track file and 1002's output, however long the first bake took.
    written = FramePattern.parse(first["output"]).path(1002).stat().st_mtime_ns
    later = max(Path(first["track_file"]).stat().st_mtime_ns, written) + 10**9
    os.utime(plate_dir / "plate.1002.exr", ns=(later, later))  # a host wrote this frame again
    second = _bake(job, capsys)
    assert second["tracked"], "a plate frame newer than the track file must re-track"
    # 1001 is unchanged and the new track file is identical, so its frame stays; 1002 is newer
    # than its output and 1003-1004 were never rendered.
    assert second["written"] == 3 and second["skipped_complete"] == 1


def test_render_resume_ignores_frames_from_other_settings(
    short_plate: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = str(tmp_path / "swap.####.exr")
    base = ["-q", "--json", "render", "--plate", short_plate, "--source", PHOTO, "--swapper", "morph"]
    assert main([*base, "--out", out, "--frames", "1001-1002"]) == 0
    capsys.readouterr()
    assert main([*base, "--out", out, "--frames", "1001-1002", "--feather", "2"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["written"] == 2 and summary["skipped_complete"] == 0
    matte = read_frame(Path(out.replace("####", "1001"))).plane("ghost.matte").astype(np.float32)
    assert np.isfinite(matte).all() and matte.max() <= 1.0


def test_farm_steps_track_and_render_chunks_from_one_job(
    short_plate: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """What a farm runs: `track --job` once, then `render --job --frames` per chunk (options override)."""
    job = _write_job(tmp_path, short_plate, output="out/swap.####.exr")
    assert main(["-q", "--json", "track", "--job", str(job)]) == 0
    tracked = json.loads(capsys.readouterr().out)
    assert Path(tracked["track_file"]).parent == tmp_path / "out"
    for chunk in ("1001-1002", "1003-1004"):
        assert main(["-q", "--json", "render", "--job", str(job), "--frames", chunk]) == 0
        summary = json.loads(capsys.readouterr().out)
        assert summary["written"] == 2 and summary["track_digest"] == tracked["digest"]
    assert main(["-q", "render", "--job", str(job), "--plate", str(tmp_path / "none.####.exr")]) != 0
