"""Farm submission files (Open Job Description, Deadline 10, OpenCue, Tractor) for one shot job.

GhostSwap never talks to a farm server: it writes the files a wrangler (or a pipeline tool)
submits, all wrapping the same two commands, `ghostswap track --job` and `ghostswap render --job
--frames`. `FARM_MANAGERS` is the one list of managers (the `--manager` choices); each entry is
a module path, imported only when that manager is chosen.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from ghost_core.registry import Registry

if TYPE_CHECKING:
    from pathlib import Path

    from ghost_core.farm.model import FarmJob


class FarmManager(Protocol):
    """A manager's builder: a module with these two functions (it keeps no state)."""

    def build(self, job: FarmJob) -> dict[str, str]:
        """File name → text of every submission file."""
        ...

    def submit_commands(self, job: FarmJob, out_dir: Path) -> list[list[str]]:
        """The argv(s) that submit the files written to `out_dir`."""
        ...


# A bare module path: the module itself is the FarmManager.
FARM_MANAGERS: Registry[FarmManager] = Registry("farm manager", FarmManager)
FARM_MANAGERS.add("openjd", "ghost_core.farm.openjd", "Open Job Description template (Deadline Cloud)")
FARM_MANAGERS.add("deadline", "ghost_core.farm.deadline", "Deadline 10 CommandLine-plugin job files")
FARM_MANAGERS.add("opencue", "ghost_core.farm.opencue", "OpenCue job-spec XML (PyOutline, the farm extra)")
FARM_MANAGERS.add("tractor", "ghost_core.farm.tractor", "Tractor Alfred job script (.alf)")
