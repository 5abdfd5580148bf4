"""The one worker thread: runs queued jobs in order with models kept loaded between jobs.

One GPU runs one job at a time, so jobs from several hosts queue (FIFO). Loading the detector,
landmarker, swapper and source identities is the slow part of a small bake; the worker keeps the
last few loaded `Shot`s, keyed by everything a `Shot` loads, and hands the matching one to
`bake`, so a host re-baking after a knob change starts rendering at once.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
import traceback
from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING

from ghost_core.console import Watch, log, watching
from ghost_core.errors import Cancelled, GhostSwapError, InputError
from ghost_core.knobs import ShotSettings
from ghost_core.service.connection import pid_alive
from ghost_core.service.store import CANCELLED, DONE, FAILED, QUEUED, JobRecord, JobStore

if TYPE_CHECKING:
    from ghost_core.engine.shot import Shot

# Test hook, explicit and off by default: seconds to sleep after each reported render batch, so a
# test can cancel or kill a job mid-render on any machine speed. Never set it in production.
SLOWDOWN_ENV = "GHOSTSWAP_SERVE_TEST_SLOWDOWN"


def _sha256(path: str) -> str:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError as exc:
        raise InputError(f"{path}: cannot read the photo ({exc.strerror or exc})") from None


def shot_key(settings: ShotSettings) -> str:
    """Everything a `Shot` loads: photos (path and content), swapper, models, analysis, device, colour."""
    loaded = {
        "sources": [[(p, _sha256(p)) for p in group] for group in settings.sources],
        **{
            name: getattr(settings, name)
            for name in (
                "swapper",
                "model",
                "enhance",
                "detector",
                "landmarker",
                "backend",
                "device",
                "precision",
                "batch",
                "colorspace",
                "ocio",
            )
        },
    }
    return json.dumps(loaded, sort_keys=True, default=str)


class WarmShots:
    """A small LRU of loaded `Shot`s (each holds networks: keep it small)."""

    def __init__(self, size: int) -> None:
        self.size = max(0, size)
        self._shots: OrderedDict[str, Shot] = OrderedDict()

    def get(self, settings: ShotSettings) -> tuple[Shot, bool]:
        from ghost_core.engine.shot import Shot

        key = shot_key(settings)
        if key in self._shots:
            self._shots.move_to_end(key)
            return self._shots[key], True
        shot = Shot(settings)
        if self.size:
            self._shots[key] = shot
            while len(self._shots) > self.size:
                self._shots.popitem(last=False)
        return shot, False


class Worker(threading.Thread):
    def __init__(self, store: JobStore, warm_shots: int = 2) -> None:
        super().__init__(name="ghostswap-worker", daemon=True)
        self.store = store
        self.shots = WarmShots(warm_shots)
        self.slowdown = float(os.environ.get(SLOWDOWN_ENV) or 0)
        self.last_finished = time.monotonic()

    def run(self) -> None:
        import ghost_core.engine.shot  # noqa: F401  (import the engine now, not in the first job)

        while (picked := self.store.next_job()) is not None:
            self._run(*picked)
            self.last_finished = time.monotonic()

    def _run(self, record: JobRecord, previous_pid: int | None) -> None:
        from ghost_core.jobs.bake import bake
        from ghost_core.jobs.cache import resolve_job
        from ghost_core.jobs.schema import parse_job

        log.info("job %s: %s", record.id, record.job.get("plate"))
        try:
            resolved = resolve_job(parse_job(record.job, Path("/"), origin=f"job {record.id}"))
            if previous_pid and previous_pid != os.getpid() and not pid_alive(previous_pid):
                _tidy_after(previous_pid, resolved.settings)
            shot, warm = self.shots.get(resolved.settings)
            watch = Watch(
                on_progress=lambda *p: self._progress(record, *p),
                should_stop=lambda: self._should_stop(record),
            )
            with watching(watch):
                summary = bake(resolved, frames=record.frames, shot=shot)
        except Cancelled as exc:
            if record.cancel_requested or not self.store.stopping:
                self.store.finish(record, CANCELLED, error=str(exc), error_type="Cancelled", exit_code=130)
            else:  # the server is stopping: a later server resumes the job
                self.store.finish(record, QUEUED)
            log.info("job %s: %s", record.id, record.state)
            return
        except GhostSwapError as exc:
            self.store.finish(
                record, FAILED, error=str(exc), error_type=type(exc).__name__, exit_code=exc.exit_code
            )
            log.error("job %s: %s", record.id, exc)
            return
        except Exception as exc:  # a bug: keep serving, report it on the job
            log.error("job %s failed:\n%s", record.id, traceback.format_exc())
            self.store.finish(
                record,
                FAILED,
                error=f"internal error: {type(exc).__name__}: {exc}",
                error_type="GhostSwapError",
                exit_code=1,
            )
            return
        summary["server"] = {"pid": os.getpid(), "job_id": record.id, "warm": warm}
        self.store.finish(record, DONE, summary=summary)
        log.info("job %s: done (%s written)", record.id, summary.get("written"))

    def _progress(self, record: JobRecord, stage: str, done: int, total: int) -> None:
        self.store.progress(record, stage, done, total)
        if self.slowdown and stage == "render" and done < total:
            time.sleep(self.slowdown)

    def _should_stop(self, record: JobRecord) -> bool:
        return record.cancel_requested or self.store.stopping


def _tidy_after(pid: int, settings: ShotSettings) -> None:
    """Remove temporary files a killed server left beside this job's outputs and track file."""
    from ghost_core.io.atomic import remove_stale_temps

    folders = {Path(settings.out or ".").parent, Path(settings.track or ".").parent}
    for folder in folders:
        for path in remove_stale_temps(folder, pid):
            log.info("removed %s (left by a killed server, pid %d)", path, pid)
