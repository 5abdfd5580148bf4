"""Terminal output shared by every command: logging, progress bars and --json summaries.

Hosts and farm managers read stdout as JSON when `--json` is given, so human-facing output
(logs, progress) always goes to stderr.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sys
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypeVar

from tqdm import tqdm

from ghost_core.errors import Cancelled

T = TypeVar("T")

log = logging.getLogger("ghostswap")

_state = {"quiet": False}


def setup_logging(verbosity: int = 0, quiet: bool = False) -> None:
    """Route `ghostswap` logs to stderr; -v adds detail, --quiet keeps only errors."""
    _state["quiet"] = quiet
    level = logging.ERROR if quiet else (logging.DEBUG if verbosity > 0 else logging.INFO)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("ghostswap: %(levelname)s: %(message)s"))
    log.handlers[:] = [handler]
    log.setLevel(level)
    log.propagate = False


def progress(
    items: Iterable[T] | None = None,
    *,
    total: float | None = None,
    desc: str = "",
    unit: str = "it",
    unit_scale: bool = False,
) -> Iterator[T] | tqdm:
    """A progress bar on stderr with rate and ETA; silent under --quiet."""
    return tqdm(
        items,
        total=total,
        desc=desc,
        unit=unit,
        unit_scale=unit_scale,
        unit_divisor=1024 if unit == "B" else 1000,
        file=sys.stderr,
        disable=_state["quiet"],
        dynamic_ncols=True,
        mininterval=0.5,
    )


def emit_json(payload: dict[str, Any]) -> None:
    """Write one machine-readable JSON document to stdout."""
    sys.stdout.write(json.dumps(payload, indent=2, sort_keys=True, default=str) + "\n")
    sys.stdout.flush()


@dataclass
class Watch:
    """What a caller running a long loop in-process (the warm worker) wants: progress and a stop check.

    Long loops call `report(stage, done, total)` and `check_cancelled()` at safe points (between
    render batches, between frames while tracking), so a job can be followed and stopped without
    leaving a half-written file behind.
    """

    on_progress: Callable[[str, int, int], None] | None = None
    should_stop: Callable[[], bool] | None = None


_watch: ContextVar[Watch | None] = ContextVar("ghostswap_watch", default=None)


@contextlib.contextmanager
def watching(watch: Watch) -> Iterator[Watch]:
    """Install `watch` for the loops run inside this block (this thread/context only)."""
    token = _watch.set(watch)
    try:
        yield watch
    finally:
        _watch.reset(token)


def report(stage: str, done: int, total: int) -> None:
    """Tell the watcher (if any) that `done` of `total` units of `stage` are finished."""
    watch = _watch.get()
    if watch is not None and watch.on_progress is not None:
        watch.on_progress(stage, done, total)


def check_cancelled() -> None:
    """Raise `Cancelled` when the watcher asks to stop; call only where stopping leaves no partial file."""
    watch = _watch.get()
    if watch is not None and watch.should_stop is not None and watch.should_stop():
        raise Cancelled("cancelled; finished frames are kept and a rerun resumes")
