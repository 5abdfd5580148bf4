"""`ghostswap ... | head -1`: a reader that goes away early must not produce a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.robustness.conftest import cli_env, write_job, write_sequence


def _closed_early(argv: list[str]) -> tuple[int, str]:
    """Run the CLI with its stdout pipe closed before it writes: what `| head -1` does to a slow writer."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "ghost_core.cli", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env(),
    )
    assert proc.stdout is not None
    proc.stdout.close()  # the interpreter takes far longer to start than this
    proc.stdout = None
    _, err = proc.communicate(timeout=120)
    return proc.returncode, err


@pytest.fixture(scope="module")
def job(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("pipe")
    write_sequence(root / "plate")
    return write_job(root / "job.json", plate="plate/plate.####.exr", output="out/swap.####.exr")


@pytest.mark.parametrize("json_flag", [[], ["--json"]], ids=["text", "json"])
def test_job_check_into_a_closed_pipe_exits_quietly(job: Path, json_flag: list[str]) -> None:
    code, err = _closed_early([*json_flag, "job", "check", str(job)])
    assert "Traceback" not in err and "BrokenPipeError" not in err and "Exception ignored" not in err, err
    from ghost_core.errors import StdoutClosed

    assert code == StdoutClosed.exit_code, err


def test_head_minus_one_in_a_shell(job: Path) -> None:
    """The reported command itself, through a real shell pipeline."""
    command = f"{sys.executable} -m ghost_core.cli job check {job} | head -1"
    proc = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=120, env=cli_env())
    assert proc.returncode == 0
    assert len(proc.stdout.splitlines()) == 1
    assert "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr, proc.stderr
