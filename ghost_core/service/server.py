"""The HTTP side of `ghostswap serve`: loopback only, one bearer token, a small JSON API.

    GET  /health              version, pid, queue length
    POST /jobs                {"job": {...}, "base": DIR} or {"job_file": PATH}, "frames"? -> 202 {"id"}
    GET  /jobs                every known job, oldest first
    GET  /jobs/<id>           state, progress {stage, done, total}, summary or error
    POST /jobs/<id>/cancel    stop a job (finished frames are kept)
    POST /shutdown            stop the server (a running job is queued again for the next server)

Every request, also to an unknown path, needs `Authorization: Bearer <token>` (compared in
constant time) or gets 401: the token lives in a 0600 file only this user can read.
"""

from __future__ import annotations

import hmac
import json
import os
import re
import signal
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from ghost_core import __version__
from ghost_core.console import log
from ghost_core.errors import GhostSwapError, InputError, ServiceError
from ghost_core.service.client import find_server
from ghost_core.service.connection import (
    Connection,
    loopback_address,
    new_token,
    prepare_state_dir,
    remove_connection,
    write_connection,
)
from ghost_core.service.store import FINISHED, JobStore
from ghost_core.service.worker import Worker

MAX_BODY = 1 << 20  # a job is a few kB; anything this big is not a job
_JOB_PATH = re.compile(r"^/jobs/([0-9a-f]{1,32})(/cancel)?$")


class ServiceHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver's default listen backlog is 5: with a few dozen hosts polling at once, the
    # kernel drops SYNs and clients wait out TCP's 1 s / 3 s retransmits (benchmarks/serve_load.py).
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], token: str, store: JobStore, stop: threading.Event) -> None:
        super().__init__(address, _Handler)
        self.token = token
        self.store = store
        self.stop = stop
        self.last_request = time.monotonic()


def _validate_submission(body: Any) -> tuple[dict[str, Any], str | None]:
    """The job (absolute paths) and frames of a POST /jobs body; InputError/UsageError when invalid."""
    from ghost_core.io.sequence import parse_frame_spec
    from ghost_core.jobs.schema import job_to_dict, load_job, parse_job

    if not isinstance(body, dict) or set(body) - {"job", "base", "job_file", "frames"}:
        raise InputError(
            'POST /jobs takes {"job": {...}, "base": DIR} or {"job_file": PATH}, optional "frames"'
        )
    if ("job" in body) == ("job_file" in body):
        raise InputError('POST /jobs: give either "job" (with "base") or "job_file"')
    if "job_file" in body:
        if not isinstance(body["job_file"], str) or not Path(body["job_file"]).is_absolute():
            raise InputError("job_file must be an absolute path (the server's working folder is not yours)")
        job = load_job(body["job_file"])
    else:
        base = body.get("base")
        if not isinstance(base, str) or not Path(base).is_absolute():
            raise InputError('"base" must be the absolute folder that relative paths in the job start from')
        job = parse_job(body["job"], Path(base), origin="job")
    frames = body.get("frames")
    if frames is not None:
        if isinstance(frames, bool) or not isinstance(frames, str | int):
            raise InputError('"frames" must be a frame spec such as "1001-1100" or null')
        frames = str(frames)
        parse_frame_spec(frames)
    return job_to_dict(job), frames


class _Handler(BaseHTTPRequestHandler):
    server: ServiceHTTPServer
    server_version = f"ghostswap/{__version__}"

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("http: " + format, *args)

    def _send(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload, default=str).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        if status == HTTPStatus.UNAUTHORIZED:
            self.send_header("WWW-Authenticate", 'Bearer realm="ghostswap"')
        try:
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client left first: nothing to tell it
            self.close_connection = True

    def _authorised(self) -> bool:
        header = self.headers.get("Authorization", "")
        scheme, _, given = header.partition(" ")
        ok = scheme == "Bearer" and hmac.compare_digest(given.strip().encode(), self.server.token.encode())
        if not ok:
            self._send(HTTPStatus.UNAUTHORIZED, {"error": "missing or wrong token (see the connection file)"})
        return ok

    def _body(self) -> Any:
        text = (self.headers.get("Content-Length") or "0").strip()
        if not text.isdigit():  # "banana" or "-5": a lying client, never a read of unknown size
            raise InputError(f"Content-Length {text!r} is not a byte count")
        length = int(text)
        if length > MAX_BODY:
            raise InputError(f"request body of {length} bytes is too large")
        try:
            return json.loads(self.rfile.read(length) or b"{}")
        except (ValueError, UnicodeDecodeError) as exc:
            raise InputError(f"request body is not JSON ({exc})") from None

    def do_GET(self) -> None:
        self._route("GET")

    def do_POST(self) -> None:
        self._route("POST")

    def do_PUT(self) -> None:
        self._route("PUT")

    def do_DELETE(self) -> None:
        self._route("DELETE")

    def _route(self, method: str) -> None:
        if not self._authorised():
            return
        self.server.last_request = time.monotonic()
        path = self.path.split("?", 1)[0].rstrip("/") or "/"
        store = self.server.store
        try:
            if method == "GET" and path == "/health":
                return self._send(
                    200,
                    {
                        "version": __version__,
                        "pid": os.getpid(),
                        "queue": store.waiting(),
                        "busy": store.busy(),
                    },
                )
            if method == "GET" and path == "/jobs":
                return self._send(200, {"jobs": store.listing()})
            if method == "POST" and path == "/jobs":
                job, frames = _validate_submission(self._body())
                record = store.submit(job, frames)
                log.info("queued job %s (%d waiting)", record.id, store.waiting())
                return self._send(HTTPStatus.ACCEPTED, {"id": record.id, "state": record.state})
            if method == "POST" and path == "/shutdown":
                self._send(HTTPStatus.ACCEPTED, {"stopping": True, "pid": os.getpid()})
                self.server.stop.set()
                return None
            match = _JOB_PATH.match(path)
            if match and method == "GET" and not match[2]:
                view = store.get(match[1])
                return self._send(200, view) if view else self._send(404, {"error": f"no job {match[1]}"})
            if match and method == "POST" and match[2]:
                return self._cancel(match[1])
            return self._send(404, {"error": f"no such endpoint: {method} {path}"})
        except GhostSwapError as exc:
            return self._send(HTTPStatus.BAD_REQUEST, {"error": str(exc), "error_type": type(exc).__name__})

    def _cancel(self, job_id: str) -> None:
        store = self.server.store
        if store.get(job_id) is None:
            return self._send(404, {"error": f"no job {job_id}"})
        view = store.get(job_id) or {}
        if view["state"] in FINISHED:
            return self._send(
                HTTPStatus.CONFLICT, {"error": f"job {job_id} is already {view['state']}", **view}
            )
        record = store.cancel(job_id)
        return self._send(HTTPStatus.ACCEPTED, {"id": job_id, "state": record.state, "cancelling": True})


def serve(folder: Path, bind: str = "127.0.0.1", idle_exit: float | None = None, warm_shots: int = 2) -> dict:
    """Run the worker until SIGTERM/SIGINT, `POST /shutdown` or `idle_exit` seconds without work."""
    host = loopback_address(bind)
    folder = prepare_state_dir(folder)
    running = find_server(folder)
    if running is not None:
        raise ServiceError(
            f"ghostswap serve is already running for {folder} (pid {running.connection.pid}, "
            f"port {running.connection.port}); stop it with `ghostswap serve stop`"
        )
    store = JobStore(folder / "jobs")
    requeued = store.load()
    stop = threading.Event()
    httpd = ServiceHTTPServer((host, 0), new_token(), store, stop)
    bound_host, port = httpd.server_address[:2]
    if bound_host != host:  # never expected; refuse rather than listen anywhere else
        httpd.server_close()
        raise ServiceError(f"the server bound {bound_host}, not {host}; refusing to run")
    worker = Worker(store, warm_shots)
    worker.start()
    connection = Connection(port, httpd.token, os.getpid(), __version__)
    previous = {s: signal.signal(s, lambda *_: stop.set()) for s in (signal.SIGTERM, signal.SIGINT)}
    server_thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
    server_thread.start()
    path = write_connection(folder, connection)
    log.info("listening on http://%s:%d (pid %d); connection file %s", host, port, os.getpid(), path)
    if requeued:
        log.info("resuming %d job(s) left by a previous server", len(requeued))
    try:
        while not stop.wait(0.5):
            if idle_exit is not None and not store.busy():
                idle = time.monotonic() - max(httpd.last_request, worker.last_finished)
                if idle >= idle_exit:
                    log.info("idle for %.0f s: stopping", idle)
                    break
    finally:
        remove_connection(folder, connection)
        store.stop()
        worker.join(timeout=60)
        httpd.shutdown()
        httpd.server_close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return {"state_dir": str(folder), "port": port, "pid": os.getpid(), "stopped": True}
