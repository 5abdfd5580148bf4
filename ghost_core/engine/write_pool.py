"""Render's output stages: one compose thread, then a bounded pool of EXR encode workers.

Composing a frame (landmarks, mattes, paste-back) stays on one thread, because the renderer's
landmarker (TFLite face mesh) and its per-track appearance cache are not thread-safe; frames are
composed in order, so the render summary lists them in order too. Encoding (building the output
buffer, ZIP compression, the atomic temp-then-rename write) is what scales: OpenImageIO releases
the GIL while it compresses, so several frames encode at once on a pool of threads. At most
`queue` encodes are waiting or running; past that the compose thread waits, so memory stays flat
however long the shot is. With one worker a frame is encoded on the compose thread right after it
is composed (the single writer of before). Each frame's bytes depend only on its own arguments,
so the files are the same for any number of workers.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from types import TracebackType
from typing import Any

from ghost_core.errors import GhostSwapError, OutputError

MAX_AUTO_WORKERS = 4  # ZIP encode of a 1080p frame is ~0.1 s; more threads than this only queue


def auto_workers(requested: int) -> int:
    """`runtime.write_workers`: 0 means one per core, at most MAX_AUTO_WORKERS."""
    if requested < 0:
        raise ValueError(f"write_workers must be >= 0 (got {requested})")
    return requested or max(1, min(MAX_AUTO_WORKERS, os.cpu_count() or 1))


def inline(write: Callable[..., None], *args: Any, **kwargs: Any) -> None:
    """Run a write at once, on the calling thread (what a frame job does outside a pool)."""
    write(*args, **kwargs)


class FrameWrite:
    """One frame's composing and its encodes; `result()` returns once the frame is on disk."""

    def __init__(self, composed: Future[None], encodes: list[Future[None]]) -> None:
        self._composed = composed
        self._encodes = encodes  # filled by the compose thread before `composed` completes

    def result(self) -> None:
        self._composed.result()
        for encode in self._encodes:
            encode.result()


class WritePool:
    """Context manager: `submit(job)` runs `job(run=...)` on the compose thread; writes go to the pool.

    A frame job calls `run(write_frame, path, ...)` for each file it writes. Leaving the block
    waits for every queued compose and encode (writes are atomic), so an error or a cancel keeps
    each finished frame and leaves no partial one; a failed encode re-raises from `result()`.
    """

    def __init__(self, workers: int, queue: int | None = None) -> None:
        self.workers = max(1, workers)
        self._compose = ThreadPoolExecutor(1, thread_name_prefix="ghostswap-write")
        self._encode: ThreadPoolExecutor | None = None
        if self.workers > 1:
            self._encode = ThreadPoolExecutor(self.workers, thread_name_prefix="ghostswap-encode")
        self._slots = threading.BoundedSemaphore(queue or 2 * self.workers)

    def __enter__(self) -> WritePool:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._compose.shutdown(wait=True)
        if self._encode is not None:
            self._encode.shutdown(wait=True)

    def submit(self, job: Callable[..., None]) -> FrameWrite:
        encodes: list[Future[None]] = []
        if self._encode is None:
            return FrameWrite(self._compose.submit(job, run=_reporting), encodes)

        def run(write: Callable[..., None], *args: Any, **kwargs: Any) -> None:
            self._slots.acquire()  # bounded: the compose thread waits for a free encode slot
            try:
                encode = self._encode.submit(_reporting, write, *args, **kwargs)  # type: ignore[union-attr]
            except BaseException:
                self._slots.release()
                raise
            encode.add_done_callback(lambda _: self._slots.release())
            encodes.append(encode)

        return FrameWrite(self._compose.submit(job, run=run), encodes)


def _reporting(write: Callable[..., None], *args: Any, **kwargs: Any) -> None:
    """Run one write; anything but a GhostSwap error becomes an OutputError naming the file."""
    try:
        write(*args, **kwargs)
    except GhostSwapError:
        raise
    except Exception as exc:
        target = Path(args[0]) if args else "output frame"
        raise OutputError(f"{target}: writing the frame failed ({type(exc).__name__}: {exc})") from exc
