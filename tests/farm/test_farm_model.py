"""The farm job model: frames from a job file, chunks that respect steps, and `ghostswap farm chunks`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ghost_core.cli import main
from ghost_core.errors import UsageError
from ghost_core.farm import openjd
from ghost_core.farm.model import FarmJob, Run, chunk_runs, job_frames, runs_of
from ghost_core.io.sequence import parse_frame_spec
from tests.shots import ASSETS

PHOTO = str(ASSETS / "faces" / "elon_musk.jpg")
_RUN_ARGS = ["--run-dependencies", "--output", "json"]


def _job_file(folder: Path, plate: str, **extra: object) -> Path:
    data = {"schema": "ghostswap.job", "version": 1, "plate": plate, "sources": [PHOTO], **extra}
    data.setdefault("output", "out/swap.####.exr")
    path = folder / "job.json"
    path.write_text(json.dumps(data))
    return path


def test_runs_split_a_frame_list_into_evenly_stepped_segments() -> None:
    frames = parse_frame_spec("1001-1011x2,1020-1022,1030")
    assert runs_of(frames) == [Run(1001, 1011, 2), Run(1020, 1022, 1), Run(1030, 1030, 1)]
    assert [r.spec for r in runs_of(frames)] == ["1001-1011x2", "1020-1022", "1030"]
    assert [r.openjd for r in runs_of(frames)] == ["1001-1011:2", "1020-1022", "1030"]


def test_chunks_respect_steps_and_never_span_a_gap() -> None:
    frames = parse_frame_spec("1001-1011x2,1020-1021")
    chunks = chunk_runs(runs_of(frames), 4)
    assert [c.spec for c in chunks] == ["1001-1007x2", "1009-1011x2", "1020-1021"]
    assert sorted(f for c in chunks for f in parse_frame_spec(c.spec)) == frames
    assert [c.spec for c in chunk_runs([Run(1, 10)], 3)] == ["1-3", "4-6", "7-9", "10"]
    with pytest.raises(UsageError):
        chunk_runs([Run(1, 10)], 0)


def test_farm_job_validates_what_a_farm_cannot_fix(tmp_path: Path) -> None:
    job = tmp_path / "job.json"
    with pytest.raises(UsageError, match="--priority"):
        FarmJob(job, "x", (1,), priority=101)
    with pytest.raises(UsageError, match="--retries"):
        FarmJob(job, "x", (1,), retries=-1)
    with pytest.raises(UsageError, match="no frames"):
        FarmJob(job, "x", ())
    assert FarmJob(job, "sh 010/comp{v2}", (1,)).safe_name == "sh_010_comp_v2"


def test_frames_come_from_the_option_then_the_job_then_the_plate(short_plate: str, tmp_path: Path) -> None:
    job = _job_file(tmp_path, short_plate)
    assert job_frames(job, None) == [1001, 1002, 1003, 1004]  # discovered on disk
    assert job_frames(_job_file(tmp_path, short_plate, frames="1001-1003x2"), None) == [1001, 1003]
    assert job_frames(job, "1002,1004") == [1002, 1004]
    single = _job_file(tmp_path, str(Path(short_plate.replace("####", "1001"))))
    with pytest.raises(UsageError, match="frame sequence"):
        job_frames(single, None)


def test_farm_chunks_command_lists_the_chunk_ranges(
    short_plate: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    job = _job_file(tmp_path, short_plate)
    assert main(["farm", "chunks", "--job", str(job), "--chunk", "3"]) == 0
    assert capsys.readouterr().out.splitlines() == ["1001-1003", "1004"]
    stepped = ["--json", "farm", "chunks", "--job", str(job), "--chunk", "2", "--frames", "1001-1007x2"]
    assert main(stepped) == 0
    assert json.loads(capsys.readouterr().out)["chunks"] == ["1001-1003x2", "1005-1007x2"]
    assert main(["farm", "chunks", "--job", str(job), "--chunk", "0"]) == UsageError.exit_code
    assert main(["farm", "chunks", "--job", str(tmp_path / "missing.json")]) == 3


def test_openjd_chunks_of_a_stepped_list_are_the_models_chunks(tmp_path: Path) -> None:
    """`openjd run` with `echo` as ghostswap: each task's --frames parses to one of our chunks."""
    frames = tuple(parse_frame_spec("1001-1011x2,1020-1022"))
    job = FarmJob(tmp_path / "a b" / "job.json", "stepped", frames, chunk_size=3, executable=("echo",))
    for name, text in openjd.build(job).items():
        (tmp_path / name).write_text(text)
    openjd_exe = Path(sys.executable).with_name("openjd")
    assert openjd_exe.is_file(), "install the farm extra: pip install -e '.[farm]'"
    template = str(tmp_path / openjd.TEMPLATE_NAME)
    run = subprocess.run(
        [str(openjd_exe), "run", template, "--step", "Render", *_RUN_ARGS, "-p", f"JobFile={job.job_file}"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    messages = [e.get("message", "") for e in json.loads(run.stdout)["logs"]]
    assert f"track --job {job.job_file}" in messages
    given = [m.split("--frames ", 1)[1] for m in messages if m.startswith("render --job")]
    assert [parse_frame_spec(g) for g in given] == [c.frames for c in job.chunks]
    assert given[0] == "1001-1005:2", "OpenJD hands stepped chunks over in its own syntax"
