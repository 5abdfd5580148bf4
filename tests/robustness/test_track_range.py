"""Issue #15 item 1: a job's track file covers one range, whoever writes it (the farm's Track step or bake).

Both name the file `track-<hash>.json` from the job, so if one analysed the job's `frames` and the
other the whole plate, the same name would hold two different files and a frame near the range's
end would differ between a farm render and a bake (smoothing looks at neighbouring frames).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ghost_core.errors import TrackFileError
from ghost_core.faces.trackfile import load_trackfile, save_trackfile
from tests.robustness.conftest import run_main, write_job

OFFLINE = {"analysis": {"detector": "retinaface", "landmarker": "mesh"}}


def _job(tmp_path: Path, plate: str) -> Path:
    """A job that renders only 1001-1003 of the 4-frame plate."""
    return write_job(
        tmp_path / "job.json", plate=plate, frames="1001-1003", cache={"root": "cache"}, **OFFLINE
    )


def test_track_step_and_bake_write_the_same_track_file(
    short_plate: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    job = _job(tmp_path, short_plate)
    code, out, err = run_main(["-q", "--json", "track", "--job", str(job)], capsys)
    assert code == 0, err
    track = Path(json.loads(out)["track_file"])
    assert load_trackfile(track).frames == [1001, 1002, 1003, 1004], "a job's track covers the whole plate"
    written = track.read_bytes()

    code, out, err = run_main(["-q", "--json", "bake", "--job", str(job)], capsys)
    assert code == 0, err
    baked = json.loads(out)
    assert baked["track_file"] == str(track) and not baked["tracked"], "bake must reuse the farm's file"
    assert track.read_bytes() == written


def test_a_job_track_file_over_another_range_is_retracked_by_bake_and_refused_by_render(
    short_plate: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    job = _job(tmp_path, short_plate)
    code, out, err = run_main(["-q", "--json", "track", "--job", str(job)], capsys)
    assert code == 0, err
    track = Path(json.loads(out)["track_file"])
    narrow = load_trackfile(track)
    narrow.frames = [f for f in narrow.frames if f <= 1003]  # as an older Track step wrote it
    for t in narrow.tracks:
        keep = [i for i, f in enumerate(t.frames) if f <= 1003]
        t.frames = [t.frames[i] for i in keep]
        for name in ("boxes", "scores", "kps", "smoothed_kps"):
            setattr(t, name, getattr(t, name)[keep])
        t.segments = [t.segments[i] for i in keep]
        t.smoothing_segments = [t.smoothing_segments[i] for i in keep]
    save_trackfile(track, narrow)

    code, out, err = run_main(["-q", "--json", "render", "--job", str(job), "--frames", "1003"], capsys)
    assert code == TrackFileError.exit_code, (out, err)
    assert "1001-1003" in err and "1001-1004" in err and "track --job" in err

    code, out, err = run_main(["-q", "--json", "bake", "--job", str(job)], capsys)
    assert code == 0, err
    assert json.loads(out)["tracked"], "bake must re-track a job track file that misses plate frames"
    assert load_trackfile(track).frames == [1001, 1002, 1003, 1004]
