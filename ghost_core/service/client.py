"""Talking to a running `ghostswap serve`: find it, submit a job, follow it, cancel it.

`ghostswap bake` uses the server only when one answers `/health` with the token from the
connection file; a missing file, a dead pid or a refused connection mean "bake here instead".
Only the standard library is used, so finding a server costs no start-up time.
"""

from __future__ import annotations

import http.client
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ghost_core import errors
from ghost_core.console import log, progress
from ghost_core.errors import Cancelled, GhostSwapError, ServiceError
from ghost_core.service.connection import Connection, pid_alive, read_connection

POLL_SECONDS = 0.25


@dataclass
class ServerClient:
    connection: Connection
    state_dir: Path
    timeout: float = 10.0

    def request(self, method: str, path: str, body: Any = None) -> tuple[int, dict[str, Any]]:
        conn = http.client.HTTPConnection("127.0.0.1", self.connection.port, timeout=self.timeout)
        try:
            data = None if body is None else json.dumps(body).encode()
            headers = {"Authorization": f"Bearer {self.connection.token}"}
            if data is not None:
                headers["Content-Type"] = "application/json"
            conn.request(method, path, body=data, headers=headers)
            response = conn.getresponse()
            payload = json.loads(response.read() or b"{}")
            return response.status, payload
        finally:
            conn.close()

    def _call(self, method: str, path: str, body: Any = None, ok: tuple[int, ...] = (200, 202)) -> dict:
        try:
            status, payload = self.request(method, path, body)
        except (OSError, http.client.HTTPException, ValueError) as exc:
            raise ServiceError(
                f"lost ghostswap serve (pid {self.connection.pid}) at {self.connection.url}: {exc}; "
                "queued jobs resume when it starts again, or bake with --local"
            ) from None
        if status not in ok:
            raise _error_from(payload, f"ghostswap serve answered {status}")
        return payload

    def health(self) -> dict[str, Any]:
        return self._call("GET", "/health")

    def submit(self, job: dict[str, Any], base: str | Path, frames: str | None = None) -> str:
        body: dict[str, Any] = {"job": job, "base": str(base)}
        if frames is not None:
            body["frames"] = frames
        return str(self._call("POST", "/jobs", body)["id"])

    def job(self, job_id: str) -> dict[str, Any]:
        return self._call("GET", f"/jobs/{job_id}")

    def jobs(self) -> list[dict[str, Any]]:
        return list(self._call("GET", "/jobs")["jobs"])

    def cancel(self, job_id: str) -> dict[str, Any]:
        return self._call("POST", f"/jobs/{job_id}/cancel", ok=(200, 202, 409))

    def shutdown(self) -> dict[str, Any]:
        return self._call("POST", "/shutdown")

    def wait(self, job_id: str, show_progress: bool = True) -> dict[str, Any]:
        """Follow a job to its end with a progress bar on stderr; Ctrl-C cancels it on the server."""
        bars: dict[str, Any] = {}
        told_queue = False
        try:
            while True:
                view = self.job(job_id)
                state, prog = view["state"], view.get("progress") or {}
                if state == "queued" and not told_queue:
                    log.info("job %s queued on ghostswap serve (pid %d)", job_id, self.connection.pid)
                    told_queue = True
                stage = prog.get("stage")
                if show_progress and stage and prog.get("total"):
                    bar = bars.get(stage)
                    if bar is None:
                        for earlier in bars.values():  # the previous stage is over
                            earlier.update(earlier.total - earlier.n)
                            earlier.close()
                        bar = bars[stage] = progress(
                            total=prog["total"], desc=f"{stage} (serve)", unit="frame"
                        )
                    bar.update(max(0, prog["done"] - bar.n))
                if state in ("done", "failed", "cancelled"):
                    return view
                time.sleep(POLL_SECONDS)
        except KeyboardInterrupt:
            log.warning("cancelling job %s on ghostswap serve; finished frames are kept", job_id)
            self.cancel(job_id)
            raise
        finally:
            for bar in bars.values():
                bar.close()


def _error_from(payload: dict[str, Any], fallback: str) -> GhostSwapError:
    """The server's error as the same GhostSwapError type a local run raises (same exit code)."""
    kind = getattr(errors, str(payload.get("error_type")), None)
    message = str(payload.get("error") or fallback)
    if isinstance(kind, type) and issubclass(kind, GhostSwapError):
        return kind(message)
    return ServiceError(message)


def find_server(state_dir: Path, timeout: float = 2.0) -> ServerClient | None:
    """A client for the live server of `state_dir`, or None (no file, dead pid, refused, wrong token)."""
    connection = read_connection(state_dir)
    if connection is None or not pid_alive(connection.pid):
        return None
    client = ServerClient(connection, state_dir, timeout=timeout)
    try:
        status, payload = client.request("GET", "/health")
    except (OSError, http.client.HTTPException, ValueError):
        return None
    if status != 200 or payload.get("pid") != connection.pid:
        return None
    client.timeout = 30.0
    return client


def bake_on_server(client: ServerClient, job: Any, frames: str | None) -> dict[str, Any]:
    """Run a validated job on the server and return the same summary a local bake prints."""
    from ghost_core.jobs.schema import job_to_dict

    base = Path(job.path).resolve().parent if job.path else Path.cwd()
    job_id = client.submit(job_to_dict(job), base, frames)
    view = client.wait(job_id)
    if view["state"] == "done":
        return dict(view["summary"])
    if view["state"] == "cancelled":
        raise Cancelled(f"job {job_id} was cancelled on ghostswap serve; finished frames are kept")
    raise _error_from(view, f"job {job_id} failed on ghostswap serve")
