"""The `Executor` interface: where `ghostswap render` runs the frames of one shot.

ShotSettings says what the pixels are; `ExecutorOptions` says where they are computed (this
process, or a Ray cluster). Every executor renders from one track file, so any split of the
frames gives the same pixels as one whole-shot render.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Protocol

from ghost_core.errors import UsageError
from ghost_core.registry import Registry

if TYPE_CHECKING:  # the CLI imports this module while parsing: keep it light
    from ghost_core.engine.summary import RenderSummary
    from ghost_core.faces.trackfile import TrackFile
    from ghost_core.knobs import ShotSettings


class ShotExecutor(Protocol):
    """What `ghostswap render` asks of an executor (see `Executor`, the base class to start from)."""

    name: str

    def render(
        self,
        settings: ShotSettings,
        track: TrackFile | None = None,
        *,
        frames: Sequence[int | None] | None = None,
    ) -> RenderSummary: ...


# Factories take the ExecutorOptions. The implementations import this module, so they are named
# by string here and imported only when chosen: no import cycle, and no Ray for `--help`.
EXECUTORS: Registry[ShotExecutor] = Registry("executor", ShotExecutor)
EXECUTORS.add("local", "ghost_core.executors.local:LocalExecutor", "render in this process")
EXECUTORS.add(
    "ray", "ghost_core.executors.ray_executor:RayExecutor", "a Ray cluster (--address, --workers, --chunk)"
)


@dataclass
class ExecutorOptions:
    """`--executor`, `--address`, `--workers`, `--chunk`: scale-out choices, kept out of ShotSettings."""

    name: str = "local"
    address: str | None = None
    workers: int | None = None
    chunk: int | None = None

    def check(self) -> None:
        EXECUTORS.entry(self.name)  # UsageError naming the executors
        if self.name == "local":
            given = [flag for flag, value in self._cluster_flags() if value is not None]
            if given:
                raise UsageError(f"{', '.join(given)} only apply to --executor ray")
        for flag, value in (("--workers", self.workers), ("--chunk", self.chunk)):
            if value is not None and value < 1:
                raise UsageError(f"{flag} must be 1 or more, not {value}")

    def _cluster_flags(self) -> list[tuple[str, object]]:
        return [("--address", self.address), ("--workers", self.workers), ("--chunk", self.chunk)]


class Executor(ABC):
    """Renders frames of one shot and returns the merged `RenderSummary` of its chunks."""

    name: ClassVar[str]

    def __init__(self, options: ExecutorOptions | None = None) -> None:
        """`open_executor` passes every executor its options (`local` needs none of them)."""
        self.options = options or ExecutorOptions(self.name)

    @abstractmethod
    def render(
        self,
        settings: ShotSettings,
        track: TrackFile | None = None,
        *,
        frames: Sequence[int | None] | None = None,
    ) -> RenderSummary:
        """Render `frames` (default: what `settings.frames` names, else the whole shot) to `settings.out`.

        `track` is the shot's analysis; when None the executor reads `settings.track` or, without
        one, analyses the whole shot first (once, on the driver). The frames travel to the engine
        as an argument; `settings` is never changed.
        """


def open_executor(options: ExecutorOptions | None = None) -> ShotExecutor:
    """The executor `options` names in `EXECUTORS` (local by default)."""
    options = options or ExecutorOptions()
    options.check()
    return EXECUTORS.create(options.name, options)
