"""The worker's job queue, persisted: one JSON record per job in `<state dir>/jobs/`.

Every state change is written (atomically) before it is acted on, so a server killed at any
moment leaves records a new server can trust: jobs that were queued or running are queued again
in their original order, and the render's resume (finished frames are skipped) means nothing
already on disk is lost or recomputed.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import threading
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

QUEUED, RUNNING, DONE, FAILED, CANCELLED = "queued", "running", "done", "failed", "cancelled"
FINISHED = (DONE, FAILED, CANCELLED)
KEEP_FINISHED = 200  # finished records kept for `GET /jobs`; older ones are deleted


@dataclass
class JobRecord:
    """One submitted job: the validated job (absolute paths), what to render, and where it stands."""

    id: str
    seq: int
    job: dict[str, Any]
    frames: str | None = None
    state: str = QUEUED
    stage: str | None = None
    done: int = 0
    total: int = 0
    summary: dict[str, Any] | None = None
    error: str | None = None
    error_type: str | None = None
    exit_code: int | None = None
    submitted: float = field(default_factory=time.time)
    started: float | None = None
    finished: float | None = None
    pid: int | None = None  # the server process that last ran it
    cancel_requested: bool = False

    def public(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "state": self.state,
            "progress": {"stage": self.stage, "done": self.done, "total": self.total},
            "plate": self.job.get("plate"),
            "frames": self.frames,
            "host": self.job.get("host", {}),
            "submitted": self.submitted,
            "started": self.started,
            "finished": self.finished,
        }
        if self.summary is not None:
            out["summary"] = self.summary
        if self.error is not None:
            out.update(error=self.error, error_type=self.error_type, exit_code=self.exit_code)
        return out


class JobStore:
    """Thread-safe FIFO of job records, mirrored to disk."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._records: dict[str, JobRecord] = {}
        self._cond = threading.Condition()
        self._next_seq = 1
        self.stopping = False

    # ------------------------------------------------------------------------------ persistence

    def _path(self, record: JobRecord) -> Path:
        return self.folder / f"{record.id}.json"

    def _save(self, record: JobRecord) -> None:
        target = self._path(record)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(asdict(record), handle, default=str)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)

    def load(self) -> list[JobRecord]:
        """Read the records a previous server left; returns the jobs queued again (queued or running)."""
        known = {f.name for f in fields(JobRecord)}
        loaded = []
        for path in self.folder.glob("*.json"):
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                loaded.append(JobRecord(**{k: v for k, v in data.items() if k in known}))
            except (OSError, ValueError, TypeError):
                continue  # a damaged record: skipped, the rest still load
        loaded.sort(key=lambda r: r.seq)
        requeued = []
        with self._cond:
            for record in loaded:
                self._records[record.id] = record
                if record.state in (QUEUED, RUNNING):
                    record.state, record.cancel_requested = QUEUED, False
                    self._save(record)
                    requeued.append(record)
            self._next_seq = max((r.seq for r in loaded), default=0) + 1
            self._cond.notify_all()
        return requeued

    # ------------------------------------------------------------------------------ queue

    def submit(self, job: dict[str, Any], frames: str | None) -> JobRecord:
        with self._cond:
            record = JobRecord(id=secrets.token_hex(6), seq=self._next_seq, job=job, frames=frames)
            self._next_seq += 1
            self._records[record.id] = record
            self._save(record)
            self._prune()
            self._cond.notify_all()
            return record

    def next_job(self) -> tuple[JobRecord, int | None] | None:
        """Block until a job is queued, or the store stops (None).

        Returns the job, now running in this process, and the pid of the process that ran it
        before (a server that died mid-job), whose temporary files may need tidying.
        """
        with self._cond:
            while not self.stopping:
                queued = [r for r in self._records.values() if r.state == QUEUED]
                if queued:
                    record = min(queued, key=lambda r: r.seq)
                    previous = record.pid
                    record.state, record.started, record.stage, record.pid = (
                        RUNNING,
                        time.time(),
                        None,
                        os.getpid(),
                    )
                    record.done = record.total = 0
                    self._save(record)
                    return record, previous
                self._cond.wait(0.5)
            return None

    def progress(self, record: JobRecord, stage: str, done: int, total: int) -> None:
        with self._cond:  # in memory only: a restart recomputes progress from what is on disk
            record.stage, record.done, record.total = stage, done, total

    def finish(self, record: JobRecord, state: str, **values: Any) -> None:
        with self._cond:
            record.state = state
            record.finished = time.time() if state in FINISHED else None
            for key, value in values.items():
                setattr(record, key, value)
            self._save(record)
            self._cond.notify_all()

    def cancel(self, job_id: str) -> JobRecord:
        """Cancel a queued job at once; ask a running one to stop between batches."""
        with self._cond:
            record = self._records[job_id]
            if record.state == QUEUED:
                record.state, record.finished = CANCELLED, time.time()
                self._save(record)
            elif record.state == RUNNING:
                record.cancel_requested = True
            return record

    def stop(self) -> None:
        with self._cond:
            self.stopping = True
            self._cond.notify_all()

    def _prune(self) -> None:
        finished = sorted((r for r in self._records.values() if r.state in FINISHED), key=lambda r: r.seq)
        for record in finished[: max(0, len(finished) - KEEP_FINISHED)]:
            del self._records[record.id]
            with contextlib.suppress(OSError):
                self._path(record).unlink()

    # ------------------------------------------------------------------------------ views

    def get(self, job_id: str) -> dict[str, Any] | None:
        with self._cond:
            record = self._records.get(job_id)
            return record.public() if record else None

    def listing(self) -> list[dict[str, Any]]:
        with self._cond:
            return [r.public() for r in sorted(self._records.values(), key=lambda r: r.seq)]

    def waiting(self) -> int:
        with self._cond:
            return sum(r.state == QUEUED for r in self._records.values())

    def busy(self) -> bool:
        with self._cond:
            return any(r.state in (QUEUED, RUNNING) for r in self._records.values())
