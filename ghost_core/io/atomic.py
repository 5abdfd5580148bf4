"""Atomic file writes and output-folder checks.

A frame is written to a hidden temporary file beside its target (same filesystem, so the final
`os.replace` is atomic), flushed to disk, then renamed. A crash, a full disk or Ctrl-C therefore
never leaves a half-written frame under the real name for a compositor, or a resumed render, to
mistake for a finished one.
"""

from __future__ import annotations

import contextlib
import glob
import os
import time
from collections.abc import Iterator
from pathlib import Path

from ghost_core.errors import OutputError


def same_file(a: Path, b: Path) -> bool:
    """True when two paths name one file (same path, symlink or hard link): outputs must never hit inputs."""
    if os.path.realpath(a) == os.path.realpath(b):
        return True
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def temp_path_for(target: Path, pid: int | None = None) -> Path:
    """Hidden sibling that keeps the extension (image writers pick the format from it).

    `pid` names another process's temp file: a farm driver removes the one a killed worker left.
    """
    return target.with_name(f".{target.name}.ghost-{os.getpid() if pid is None else pid}.tmp{target.suffix}")


def remove_stale_temps(folder: Path, pid: int) -> list[Path]:
    """Delete the temporary files a killed process (`pid`) left in `folder`; returns what was removed.

    `atomic_output` removes its temporary file on any exception, but not after SIGKILL or a power
    cut; whoever resumes that process's work (the warm worker after a crash) tidies up here.
    """
    removed = []
    for path in Path(folder).glob(f".*.ghost-{pid}.tmp*"):
        with contextlib.suppress(OSError):
            path.unlink()
            removed.append(path)
    return removed


def _fsync_path(path: Path, directory: bool = False) -> None:
    flags = os.O_RDONLY | (getattr(os, "O_DIRECTORY", 0) if directory else 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        if directory:  # some filesystems refuse to open folders; the rename is still atomic there
            return
        raise
    try:
        os.fsync(fd)
    except OSError:
        if not directory:
            raise
    finally:
        os.close(fd)


# Seconds a sibling temp file must predate our write to count as abandoned (see _remove_abandoned_siblings).
SIBLING_GRACE_S = 1.0


@contextlib.contextmanager
def atomic_output(target: Path) -> Iterator[Path]:
    """Yield a temporary path to write; on success it replaces `target`, on any exception it is removed."""
    target = Path(target)
    tmp = temp_path_for(target)
    started = time.time()
    try:
        yield tmp
        if not tmp.is_file():
            raise OutputError(f"{target}: the writer produced no file; check free space and permissions")
        _fsync_path(tmp)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _fsync_path(target.parent, directory=True)
    _remove_abandoned_siblings(target, started)


def _remove_abandoned_siblings(target: Path, started: float) -> None:
    """Delete temp files of `target` that a killed process left and nobody touched while we wrote.

    SIGKILL (or a power cut) skips `atomic_output`'s cleanup, so a resumed render would otherwise
    leave `.o.1002.exr.ghost-<pid>.tmp.exr` beside the finished frame for ever. A sibling last
    modified before this write began cannot belong to a writer that is still running. The kernel
    stamps mtimes from a coarse clock that lags `time.time()` by up to a tick, so "before" means
    more than `SIBLING_GRACE_S` before: a live writer's fresh file once read as older than our start.
    """
    cutoff = started - SIBLING_GRACE_S
    for path in target.parent.glob(f".{glob.escape(target.name)}.ghost-*.tmp*"):
        with contextlib.suppress(OSError):
            if path.stat().st_mtime < cutoff:
                path.unlink()


def check_output_folder(folder: Path) -> None:
    """Fail before any work if frames cannot be written to `folder` (created later, on first write)."""
    folder = Path(folder) if str(folder) else Path(".")
    existing = folder
    while not existing.exists():
        if existing.parent == existing:
            break
        existing = existing.parent
    if not existing.is_dir():
        raise OutputError(f"{folder}: {existing} is a file, not a folder; choose another output path")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise OutputError(
            f"{folder}: {existing} is not writable; fix its permissions or choose another folder"
        )


def make_output_folder(folder: Path) -> None:
    """Create the output folder (after every check passed, so a refused run leaves nothing behind)."""
    try:
        Path(folder).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        message = f"{folder}: cannot create the output folder ({exc.strerror}); check the path"
        raise OutputError(message) from exc
