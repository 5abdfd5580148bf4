"""Job files that reach their files with `..` and with absolute paths bake the same pixels, and the
paths the summary prints are normalised (no `..` left in them)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from ghost_core.cli import main
from ghost_core.io.exr import read_frame
from ghost_core.io.sequence import FramePattern
from tests.shots import ASSETS

PHOTO = ASSETS / "faces" / "elon_musk.jpg"


def _bake(job: dict, path: Path, capsys: pytest.CaptureFixture[str]) -> dict:
    path.parent.mkdir(parents=True, exist_ok=True)
    base = {"schema": "ghostswap.job", "version": 1, "swapper": {"name": "morph"}}
    path.write_text(json.dumps({**base, **job}))
    capsys.readouterr()
    assert main(["-q", "--json", "bake", "--job", str(path)]) == 0
    return json.loads(capsys.readouterr().out)


def test_dotdot_and_absolute_job_paths_bake_alike(
    short_plate: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shot = tmp_path / "show" / "seq" / "shot"
    plates = shot / "plates"
    shutil.copytree(Path(short_plate).parent, plates)
    photo = tmp_path / "show" / "photos" / "actor.jpg"
    photo.parent.mkdir(parents=True)
    shutil.copy(PHOTO, photo)
    relative = _bake(
        {
            "plate": "../plates/plate.####.exr",
            "sources": ["../../../photos/actor.jpg"],
            "cache": {"root": "../cache", "node": "A"},
        },
        shot / "jobs" / "job.json",
        capsys,
    )
    absolute = _bake(
        {
            "plate": str(plates / "plate.####.exr"),
            "sources": [str(photo)],
            "cache": {"root": str(shot / "cache"), "node": "B"},
        },
        tmp_path / "elsewhere" / "job.json",
        capsys,
    )
    for summary in (relative, absolute):
        assert summary["written"] == 4 and summary["faces_replaced"] == 4
        assert ".." not in Path(summary["output"]).parts and ".." not in Path(summary["cache_dir"]).parts
        assert os.path.isabs(summary["output"])
    a, b = FramePattern.parse(relative["output"]), FramePattern.parse(absolute["output"])
    for frame in range(1001, 1005):
        x, y = read_frame(a.path(frame)), read_frame(b.path(frame))
        for name in ("R", "G", "B", "ghost.matte"):
            assert np.array_equal(x.plane(name).view(np.uint16), y.plane(name).view(np.uint16))
