"""The generated Open Job Description template, run by the real `openjd` CLI on a small EXR shot.

Track once, render in chunks of 2 (two render tasks), and every output channel must equal a local
whole-shot `ghostswap render` bit for bit: chunking must never change a pixel.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ghost_core.cli import main
from ghost_core.io.exr import read_frame
from ghost_core.io.sequence import FramePattern
from tests.shots import ASSETS

REPO = Path(__file__).resolve().parents[2]
PHOTO = str(ASSETS / "faces" / "elon_musk.jpg")
FRAMES = range(1001, 1005)


def _job_param(job: Path) -> list[str]:
    return ["-p", f"JobFile={job}", "--output", "json"]


def _openjd() -> str:
    exe = Path(sys.executable).with_name("openjd")
    if not exe.is_file():
        pytest.fail(f"{exe} is missing: install the farm extra (pip install -e '.[farm]')")
    return str(exe)


def _write_job(folder: Path, plate: str, output: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    job = {
        "schema": "ghostswap.job",
        "version": 1,
        "plate": plate,
        "sources": [PHOTO],
        "output": output,
        "swapper": {"name": "morph"},
        "host": {"name": "test", "node": "GhostSwap Farm"},
    }
    path = folder / "jöb ñ.json"  # spaces and non-ASCII must survive every layer
    path.write_text(json.dumps(job, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def farm_run(short_plate: str, tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("farm openjd")
    job = _write_job(root / "shot dir", short_plate, "out/swap.####.exr")
    bundle = root / "bundle"
    executable = shlex.join([sys.executable, "-m", "ghost_core.cli"])
    argv = ["-q", "--json", "farm", "submit", "--job", str(job), "--manager", "openjd"]
    argv += ["--out", str(bundle), "--chunk", "2", "--executable", executable]
    assert main(argv) == 0
    openjd = _openjd()
    template = bundle / "template.json"
    check = subprocess.run([openjd, "check", str(template)], capture_output=True, text=True, timeout=120)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    run = subprocess.run(
        [openjd, "run", str(template), "--step", "Render", "--run-dependencies", *_job_param(job)],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        cwd=root,
    )
    reference = _write_job(root / "reference", short_plate, "ref/swap.####.exr")
    assert main(["-q", "render", "--job", str(reference)]) == 0  # whole shot, in one process
    return {"check": check, "run": run, "job": job, "reference": reference}


def test_openjd_checks_and_runs_track_then_render_chunks(farm_run: dict) -> None:
    assert farm_run["check"].returncode == 0, farm_run["check"].stdout + farm_run["check"].stderr
    run = farm_run["run"]
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    result = json.loads(run.stdout)
    assert result["status"] == "success"
    messages = [entry.get("message", "") for entry in result["logs"]]
    chunks = [m.split("=", 1)[1].strip() for m in messages if m.startswith("Frame(CHUNK[INT])")]
    assert chunks == ["1001,1002", "1003,1004"], "chunk 2 over 4 frames must give two render tasks"
    assert result["chunks_run"] == 3  # the track task plus two render chunks
    steps = [m for m in messages if re.match(r"Open Job Description CLI: Running step", m)]
    assert steps == [
        "Open Job Description CLI: Running step 'Track'",
        "Open Job Description CLI: Running step 'Render'",
    ]


def test_chunked_frames_equal_a_whole_shot_render_bit_for_bit(farm_run: dict) -> None:
    assert farm_run["run"].returncode == 0
    farm = FramePattern.parse(str(farm_run["job"].parent / "out" / "swap.####.exr"))
    ref = FramePattern.parse(str(farm_run["reference"].parent / "ref" / "swap.####.exr"))
    assert any((farm_run["job"].parent / "out").glob("track-*.json")), "the track step writes the track file"
    for frame in FRAMES:
        a, b = read_frame(farm.path(frame)), read_frame(ref.path(frame))
        assert a.channel_names == b.channel_names and "ghost.matte" in a.channel_names
        for name in a.channel_names:
            pa, pb = a.plane(name), b.plane(name)
            assert pa.dtype == pb.dtype and np.array_equal(pa, pb), f"{frame} {name} differs"
        assert np.abs(a.plane("ghost.matte").astype(np.float32)).max() > 0, "a face must be matted"
