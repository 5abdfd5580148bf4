"""Paths with spaces, quotes, `$`, `;`, backticks, a newline and non-ASCII, through `render` and OpenJD.

A studio path is whatever the artist typed. Nothing may split, expand or run it: the CLI takes it
as one argument, the OpenJD template passes it as one argument (no shell), and the command
`farm submit` prints is quoted so that pasting it into a shell runs it as printed.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ghost_core.io.exr import read_frame
from ghost_core.io.sequence import FramePattern
from tests.robustness.conftest import PHOTO, REPO, run_main, write_job

# Every character class a shell or a template engine might treat specially, plus a newline.
HOSTILE = "sh 010 'q' \"dq\" $HOME ;true; `touch pwned` {{Param.X}} \n ünï ✓"
OFFLINE = ["--swapper", "morph", "--detector", "retinaface", "--landmarker", "mesh"]
FRAMES = (1001, 1002)


@pytest.fixture(scope="module")
def hostile(short_plate: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two plate frames, the photo, and later the outputs, all under a folder with the hostile name."""
    root = tmp_path_factory.mktemp("hostile") / HOSTILE
    (root / "plate").mkdir(parents=True)
    src = FramePattern.parse(short_plate)
    for frame in FRAMES:
        shutil.copyfile(
            src.path(frame), root / "plate" / f"pl $a;te'{frame}.exr".replace(f"{frame}", f".{frame}")
        )
    photo = root / "phö`to` $x.jpg"
    shutil.copyfile(PHOTO, photo)
    return {"root": root, "plate": root / "plate" / "pl $a;te'.####.exr", "photo": photo}


def _same(a: Path, b: Path) -> None:
    fa, fb = read_frame(a), read_frame(b)
    assert fa.channel_names == fb.channel_names
    for x, y in zip(fa.planes, fb.planes, strict=True):
        assert np.array_equal(x.view(np.uint16), y.view(np.uint16)), f"{a} differs from {b}"


def test_render_takes_each_hostile_path_as_one_path(
    hostile: dict[str, Path], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(hostile["root"].parent)
    out = hostile["root"] / "out ;$(id)" / "sw'ap.####.exr"
    argv = ["-q", "--json", "render", "--plate", str(hostile["plate"]), "--source", str(hostile["photo"])]
    code, stdout, err = run_main([*argv, "--out", str(out), *OFFLINE], capsys)
    assert code == 0, err
    assert json.loads(stdout)["written"] == len(FRAMES)
    assert FramePattern.parse(str(out)).discover() == list(FRAMES)
    assert not (hostile["root"].parent / "pwned").exists()


def test_openjd_template_and_printed_command_keep_hostile_paths_whole(
    hostile: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    job = write_job(
        hostile["root"] / "jobs $1" / "jö'b;.json",
        plate=str(hostile["plate"]),
        sources=[str(hostile["photo"])],
        output="farm out `x`/swap.####.exr",
        analysis={"detector": "retinaface", "landmarker": "mesh"},
    )
    bundle = hostile["root"] / 'bundle "b"'
    executable = shlex.join([sys.executable, "-m", "ghost_core.cli"])
    argv = ["-q", "--json", "farm", "submit", "--job", str(job), "--manager", "openjd", "--out", str(bundle)]
    code, stdout, err = run_main([*argv, "--chunk", "2", "--executable", executable], capsys)
    assert code == 0, err
    printed = [line for line in json.loads(stdout)["submit"] if line.startswith("openjd run")]
    assert len(printed) == 1, stdout
    # Paste the printed line into a shell, as an artist would: it must run exactly this job.
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
    }
    run = subprocess.run(
        ["bash", "-c", printed[0]], capture_output=True, text=True, timeout=300, env=env, cwd=hostile["root"]
    )
    assert run.returncode == 0, run.stdout[:1500] + run.stderr[-3000:]
    assert not (hostile["root"] / "pwned").exists() and not Path("pwned").exists()
    farm = FramePattern.parse(str(job.parent / "farm out `x`" / "swap.####.exr"))
    assert farm.discover() == list(FRAMES)
    local = hostile["root"] / "local"
    argv = ["-q", "render", "--plate", str(hostile["plate"]), "--source", str(hostile["photo"])]
    code, _, err = run_main([*argv, "--out", str(local / "swap.####.exr"), *OFFLINE], capsys)
    assert code == 0, err
    for frame in FRAMES:
        _same(farm.path(frame), local / f"swap.{frame}.exr")
