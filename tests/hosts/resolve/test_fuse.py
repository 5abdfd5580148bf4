"""The Resolve/Fusion Fuses: LuaJIT parses them, the busted specs pass, and the exact command line
GhostSwap.fuse builds runs the real engine in a real shell (paths with spaces, quotes, UTF-8).

Needs `luajit` and `busted` (scripts/setup-resolve.sh installs them); these tests fail, not skip,
without them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import OpenImageIO as oiio
import pytest

from ghost_core.io.sequence import FramePattern
from tests.hosts.conftest import REPO
from tests.shots import ASSETS

FUSES = REPO / "plugins" / "resolve" / "Fuses"
SPEC = Path(__file__).parent / "spec"
PHOTO = str(ASSETS / "faces" / "elon_musk.jpg")


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed: run scripts/setup-resolve.sh")
    return path


@pytest.mark.parametrize("fuse", ["GhostSwap.fuse", "GhostMatte.fuse"])
def test_luajit_parses_the_fuse(fuse: str, tmp_path: Path) -> None:
    bad = tmp_path / "broken.fuse"
    bad.write_text((FUSES / fuse).read_text(encoding="utf-8") + "\nend end\n", encoding="utf-8")
    assert subprocess.run([_tool("luajit"), "-bl", str(bad)], capture_output=True).returncode != 0
    done = subprocess.run([_tool("luajit"), "-bl", str(FUSES / fuse)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_busted_specs_pass_under_luajit() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GHOSTSWAP_CONTRACT")}
    done = subprocess.run(
        [_tool("busted"), "--lua=luajit", "-o", "utfTerminal", str(SPEC)],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert " 0 failures / 0 errors" in done.stdout and "successes" in done.stdout


def test_the_fuse_command_line_runs_the_real_engine(
    short_plate: str, ghostswap_exe: str, tmp_path: Path
) -> None:
    cache = tmp_path / 'it\'s "q" é cache'
    cache.mkdir()
    handoff = tmp_path / "command.txt"
    env = {
        **os.environ,
        "GHOSTSWAP_CONTRACT_DIR": str(cache),
        "GHOSTSWAP_CONTRACT_PHOTO": PHOTO,
        "GHOSTSWAP_CONTRACT_EXE": ghostswap_exe,
        "GHOSTSWAP_CONTRACT_OUT": str(handoff),
    }
    done = subprocess.run(
        [_tool("busted"), "--lua=luajit", str(SPEC / "contract_spec.lua")],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    command, plate_frame = handoff.read_text(encoding="utf-8").splitlines()
    assert "'--frames' '1002'" in command and command.startswith("'" + ghostswap_exe + "'")

    # The Fuse wrote frame 1002 with Clip:PutFrame (faked); put the real plate frame there, and
    # the rest of the shot beside it as earlier Process calls would have.
    assert plate_frame == str(cache / "GhostSwap1" / "plate" / "plate.1002.exr")
    source = FramePattern.parse(short_plate)
    for frame in range(1001, 1005):
        shutil.copyfile(source.path(frame), Path(plate_frame).with_name(f"plate.{frame}.exr"))

    ran = subprocess.run(command, shell=True, capture_output=True, text=True, executable="/bin/sh")
    summary = json.loads(ran.stdout)
    assert ran.returncode == 0 and summary["ok"] is True, ran.stdout + ran.stderr
    assert summary["written"] == 1 and summary["faces_replaced"] == 1
    output = Path(FramePattern.parse(summary["output"]).path(1002))
    assert output.parent.parent == cache / "GhostSwap1" and output.is_file()
    inp = oiio.ImageInput.open(str(output))
    assert inp is not None, oiio.geterror()
    assert tuple(inp.spec().channelnames) == ("R", "G", "B", "A", "ghost.matte")
    inp.close()
    job = json.loads((cache / "GhostSwap1" / "job.1002.json").read_text(encoding="utf-8"))
    assert job["color"]["colorspace"] == "ACEScg" and job["frames"] == "1002"
