"""`ghostswap farm submit` without `ghostswap` on PATH: the printed `openjd run` command must work."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ghost_core.io.sequence import FramePattern
from tests.robustness.conftest import cli_env, run_main, run_process, write_job, write_sequence

BARE_PATH = "/usr/bin:/bin"  # no virtual environment's bin folder


def _template_command(bundle: Path) -> list[str]:
    """The ghostswap argv prefix the workers run: the GhostSwap parameter plus the step's fixed args."""
    template = json.loads((bundle / "template.json").read_text(encoding="utf-8"))
    default = next(p for p in template["parameterDefinitions"] if p["name"] == "GhostSwap")["default"]
    args = template["steps"][0]["script"]["actions"]["onRun"]["args"]
    return [default, *args[: args.index("track")]]


@pytest.fixture
def job(tmp_path: Path) -> Path:
    write_sequence(tmp_path / "plate")
    return write_job(tmp_path / "job.json", plate="plate/plate.####.exr", output="out/swap.####.exr")


def test_printed_openjd_command_runs_without_ghostswap_on_path(
    job: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", BARE_PATH)
    assert shutil.which("ghostswap") is None
    bundle = tmp_path / "bundle"
    argv = ["farm", "submit", "--job", str(job), "--manager", "openjd", "--out", str(bundle)]
    code, out, err = run_main(argv, capsys)
    assert code == 0, err
    command = _template_command(bundle)
    assert os.path.isabs(command[0]) and os.access(command[0], os.X_OK), command
    assert "not on PATH" in out, out
    printed = next(line.strip() for line in out.splitlines() if line.strip().startswith("openjd run"))
    openjd = Path(sys.executable).with_name("openjd")
    if not openjd.is_file():
        pytest.fail(f"{openjd} is missing: install the farm extra (pip install -e '.[farm]')")
    run = subprocess.run(
        [str(openjd), *shlex.split(printed)[1:]],
        capture_output=True,
        text=True,
        timeout=300,
        env=cli_env(PATH=BARE_PATH),
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "not found" not in run.stdout
    out_pattern = FramePattern.parse(str(tmp_path / "out" / "swap.####.exr"))
    assert all(out_pattern.path(f).is_file() for f in (1001, 1002))


def test_python_dash_m_cli_names_itself(job: Path, tmp_path: Path) -> None:
    """Run as `python -m ghost_core.cli`, the default is that same interpreter and module."""
    bundle = tmp_path / "bundle"
    argv = ["farm", "submit", "--job", str(job), "--manager", "openjd", "--out", str(bundle)]
    proc = run_process(argv, env=cli_env(PATH=BARE_PATH))
    assert proc.returncode == 0, proc.stderr
    command = _template_command(bundle)
    assert command == [os.path.abspath(sys.executable), "-m", "ghost_core.cli"], command
    version = subprocess.run(
        [*command, "--version"], capture_output=True, text=True, timeout=60, env=cli_env(PATH=BARE_PATH)
    )
    assert version.returncode == 0 and version.stdout.startswith("ghostswap"), version.stderr


def test_ghostswap_on_path_stays_the_portable_default(
    job: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "ghostswap"
    fake.write_text("#!/bin/sh\nexit 0\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{BARE_PATH}")
    bundle = tmp_path / "bundle"
    argv = ["farm", "submit", "--job", str(job), "--manager", "openjd", "--out", str(bundle)]
    code, out, _ = run_main(argv, capsys)
    assert code == 0
    assert _template_command(bundle) == ["ghostswap"]
    assert "not on PATH" not in out
