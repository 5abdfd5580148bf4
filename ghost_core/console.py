"""Terminal output shared by every command: logging, progress bars and --json summaries.

Hosts and farm managers read stdout as JSON when `--json` is given, so human-facing output
(logs, progress) always goes to stderr.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

from tqdm import tqdm

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
