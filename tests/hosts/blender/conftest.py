"""Blender host tests: bpy runs in its own venv (.venv-blender), one subprocess per script.

bpy is a process-wide singleton that needs numpy<2, so pytest (main venv) drives scripts run by
.venv-blender/bin/python, and checks their EXRs and reports with the main venv's OpenImageIO.
The tests fail (never skip) when the bpy venv is missing: run scripts/setup-blender.sh.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[3]
SCRIPTS = Path(__file__).resolve().parent / "scripts"
PLUGIN_DIR = REPO / "plugins" / "blender"


def blender_python() -> Path:
    venv = Path(os.environ.get("GHOSTSWAP_BLENDER_VENV", REPO / ".venv-blender"))
    python = venv / "bin" / "python"
    if not python.is_file():
        pytest.fail(f"{python} is missing: run scripts/setup-blender.sh (bpy 5.0.1 in its own venv)")
    return python


@pytest.fixture(scope="session")
def bpy_python() -> Path:
    return blender_python()


@pytest.fixture(scope="session")
def ghostswap_exe(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The real ghostswap CLI of this venv; a launcher of the checkout's CLI when it is not installed."""
    found = shutil.which("ghostswap", path=str(Path(sys.executable).parent))
    if found:
        return found
    # Not installed as a console script (e.g. a shared dev venv): same CLI, started the same way.
    folder = tmp_path_factory.mktemp("bin with space")
    launcher = folder / "ghostswap"
    launcher.write_text(
        f"#!{sys.executable}\n"
        "import sys\n"
        f"sys.path.insert(0, {str(REPO)!r})\n"
        "from ghost_core.cli import main\n"
        "sys.exit(main())\n"
    )
    launcher.chmod(launcher.stat().st_mode | stat.S_IEXEC)
    return str(launcher)


def run_bpy(python: Path, script: str, *args: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run a script under bpy; it writes a JSON report to the path given as its last argument."""
    report = Path(args[-1])
    proc = subprocess.run(
        [str(python), str(SCRIPTS / script), *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **(env or {}), "PYTHONNOUSERSITE": "1"},
        check=False,
    )
    if proc.returncode != 0 or not report.is_file():
        pytest.fail(
            f"{script} failed (exit {proc.returncode}):\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
        )
    return json.loads(report.read_text())
