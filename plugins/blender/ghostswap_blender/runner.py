"""Running the `ghostswap` executable from Blender (pure Python: no bpy, no ghost_core).

Blender's Python never imports torch: every engine call is a subprocess with an argument list
(no shell), and `--json` gives one machine-readable summary on stdout.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import ghostswap_hostkit as hostkit

ENV_VAR = hostkit.EXE_ENV
# The ghostswap command failed (or cannot be found); the message is what the user needs to see.
GhostSwapCommandError = hostkit.GhostSwapError


def find_executable(preference: str = "") -> str:
    """The `ghostswap` executable: the add-on preference, else $GHOSTSWAP_EXE, else PATH."""
    return hostkit.find_executable(preference, where="its path in Preferences > Add-ons > GhostSwap")


def bake_command(exe: str, job: Path) -> list[str]:
    return [exe, "bake", "--job", str(job), "--json"]


def check_command(exe: str, job: Path) -> list[str]:
    return [exe, "job", "check", str(job), "--json"]


def run_json(argv: list[str], timeout: float | None = None) -> dict[str, Any]:
    """Run a ghostswap command with --json; its summary, or GhostSwapCommandError with its message."""
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    except OSError as exc:
        raise GhostSwapCommandError(f"cannot run {argv[0]}: {exc}") from None
    return hostkit.check_summary(proc.stdout, proc.returncode, proc.stderr, argv)


@dataclass(frozen=True)
class FarmPlan:
    """What "Farm bake" did: submitted (argv ran) or the commands to give to a farm by hand."""

    submitted: bool
    argv: list[str]
    message: str
    summary: dict[str, Any]


def farm_bake(exe: str, job: Path, manager: str, out_dir: Path, frames: str) -> FarmPlan:
    """Write the farm's submission files with `ghostswap farm submit` when this GhostSwap has it
    (its summary names the command that submits them); else say which two commands a farm runs."""
    probe = subprocess.run([exe, "farm", "--help"], capture_output=True, text=True, check=False)
    if probe.returncode == 0:
        argv = [
            exe,
            "farm",
            "submit",
            "--job",
            str(job),
            "--manager",
            manager,
            "--out",
            str(out_dir),
            "--json",
        ]
        summary = run_json(argv)
        submit = "; or ".join(summary.get("submit", [])) or "see the files"
        message = f"wrote {manager} submission files for {job} to {out_dir}; submit with: {submit}"
        return FarmPlan(True, argv, message, summary)
    steps = [[exe, "track", "--job", str(job)], [exe, "render", "--job", str(job), "--frames", frames]]
    message = (
        f"job file: {job}. This GhostSwap has no 'farm' command; on the farm run once "
        f"`{_quote(steps[0])}`, then per chunk `{_quote(steps[1])}` (any frame range)"
    )
    return FarmPlan(False, steps[0], message, {"commands": steps})


def _quote(argv: list[str]) -> str:
    import shlex

    return " ".join(shlex.quote(a) for a in argv)
