"""The lock file `<root>/models.lock.json`: pinned hashes and what is installed.

Upstream publishes no hashes for the GHOST weights, so the first good download pins one here
(trust on first use) and every later install or verify is held to it. Size and mtime of each
installed file let `resolve` skip re-hashing hundreds of MB on every render.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from ghost_core.errors import ModelError
from ghost_core.io.atomic import atomic_output

LOCK_NAME = "models.lock.json"
LOCK_VERSION = 1
LOCKS_DIR = ".locks"  # advisory lock files, kept out of the model folders

try:  # POSIX only; on Windows concurrent installs into one cache are simply not serialised
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]


@contextlib.contextmanager
def exclusive(path: Path) -> Iterator[None]:
    """Hold an advisory lock on `path` so farm nodes sharing a cache do not interleave writes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+b") as handle:
        if fcntl is not None:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            if fcntl is not None:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def write_json_atomic(path: Path, payload: dict[str, Any]) -> None:
    """Write JSON beside `path` then rename it over, so readers never see a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_output(path) as tmp:
        tmp.write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n", encoding="utf-8")


class LockFile:
    """Read-modify-write access to the lock file; entries are plain dicts keyed by asset name."""

    def __init__(self, root: Path) -> None:
        self.path = root / LOCK_NAME
        self._mutex = root / LOCKS_DIR / f"{LOCK_NAME}.mutex"

    def read(self) -> dict[str, dict[str, Any]]:
        """All entries; a missing lock file is an empty one."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            raise ModelError(
                f"cannot read {self.path} ({exc}): fix or delete it, then run `ghostswap models verify`"
            ) from None
        models = data.get("models") if isinstance(data, dict) else None
        if not isinstance(models, dict):
            raise ModelError(f"{self.path} has no 'models' table: delete it and reinstall the models")
        return models

    def entry(self, name: str) -> dict[str, Any] | None:
        return self.read().get(name)

    def update(self, change: Callable[[dict[str, dict[str, Any]]], None]) -> None:
        """Apply `change` to the entries under the cache-wide mutex and write the result atomically."""
        with exclusive(self._mutex):
            models = self.read()
            change(models)
            write_json_atomic(self.path, {"version": LOCK_VERSION, "models": models})


def file_record(path: Path, sha256: str) -> dict[str, Any]:
    """What the lock remembers about one installed file."""
    stat = path.stat()
    return {"size": stat.st_size, "sha256": sha256, "mtime_ns": stat.st_mtime_ns}
