"""SIGINT or SIGKILL in the middle of `render`, then the same command again: the finished frames are
kept, no half-written frame is ever visible under its final name, and the result equals an
uninterrupted render bit for bit."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from ghost_core import cli
from ghost_core.io.exr import read_frame
from tests.shots import ASSETS

REPO = Path(__file__).resolve().parents[2]
SOURCE = str(ASSETS / "faces" / "elon_musk.jpg")
OFFLINE = ["--swapper", "morph", "--detector", "retinaface", "--landmarker", "mesh"]


@pytest.fixture(scope="module")
def reference(dance_plate: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("kill")
    track = str(folder / "t.json")
    assert cli.main(["track", "--plate", dance_plate, "--source", SOURCE, "--out", track, *OFFLINE]) == 0
    whole = str(folder / "whole" / "o.####.exr")
    args = ["render", "--plate", dance_plate, "--source", SOURCE, "--track", track, *OFFLINE]
    assert cli.main([*args, "--out", whole]) == 0
    return {"track": track, "whole": whole, "plate": dance_plate}


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL])
def test_interrupted_render_resumes_to_the_same_pixels(
    reference: dict[str, str], tmp_path: Path, sig: signal.Signals
) -> None:
    out = tmp_path / "o"
    argv = [sys.executable, "-m", "ghost_core.cli", "-q", "render", "--plate", reference["plate"]]
    argv += ["--source", SOURCE, "--track", reference["track"], "--out", str(out / "o.####.exr"), *OFFLINE]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(argv, cwd=REPO, env=env, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while not list(out.glob("o.*.exr")) and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.02)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert b"Traceback" not in err, err.decode()
    kept = sorted(out.glob("o.*.exr"))
    assert kept, "the render finished no frame before the signal"
    for path in kept:  # every frame under its final name is whole
        read_frame(path)
    if sig == signal.SIGINT:
        assert not list(out.glob(".*.tmp*")), "Ctrl-C must clean its temporary files"
    assert subprocess.run(argv, cwd=REPO, env=env, timeout=300).returncode == 0
    assert not list(out.glob(".*.tmp*"))
    whole = Path(reference["whole"]).parent
    names = sorted(p.name for p in whole.glob("o.*.exr"))
    assert sorted(p.name for p in out.glob("o.*.exr")) == names
    for name in names:
        a, b = read_frame(out / name), read_frame(whole / name)
        for channel in ("R", "G", "B", "A", "ghost.matte"):
            assert np.array_equal(a.plane(channel).view(np.uint16), b.plane(channel).view(np.uint16)), name
