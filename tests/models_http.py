"""A real HTTP file server on 127.0.0.1 for the model-manager tests.

It serves in-memory files, honours `Range: bytes=N-` (or ignores it on demand), can cut a
response after N bytes to simulate a dropped connection, and records every request so tests can
check what was asked for and how much was sent.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_RANGE = re.compile(r"^bytes=(\d+)-$")


@dataclass
class ServedRequest:
    path: str
    range: str | None
    status: int
    sent: int


@dataclass
class FileServer:
    files: dict[str, bytes] = field(default_factory=dict)
    ignore_range: bool = False
    cut_after: dict[str, int] = field(default_factory=dict)  # one-shot: next GET of the file is cut
    stall_after: dict[str, int] = field(default_factory=dict)  # one-shot: send N bytes, then go silent
    stall_seconds: float = 2.0
    redirects: dict[str, str] = field(default_factory=dict)  # path -> path, answered with a 302
    requests: list[ServedRequest] = field(default_factory=list)
    _httpd: Any = None

    def start(self) -> FileServer:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                owner._serve(self)

            def log_message(self, *args: Any) -> None:  # keep pytest output clean
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    @property
    def base(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, name: str) -> str:
        return f"{self.base}/{name}"

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        name = handler.path.lstrip("/")
        header = handler.headers.get("Range")
        if name in self.redirects:  # like GitHub release URLs, which redirect to a storage host
            self.requests.append(ServedRequest(name, header, 302, 0))
            handler.send_response(302)
            handler.send_header("Location", self.url(self.redirects[name]))
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return
        data = self.files.get(name)
        if data is None:
            handler.send_error(404)
            self.requests.append(ServedRequest(name, header, 404, 0))
            return
        start, status = 0, 200
        match = _RANGE.match(header or "")
        if match and not self.ignore_range:
            start = int(match.group(1))
            if start >= len(data):
                handler.send_response(416)
                handler.send_header("Content-Range", f"bytes */{len(data)}")
                handler.send_header("Content-Length", "0")
                handler.end_headers()
                self.requests.append(ServedRequest(name, header, 416, 0))
                return
            status = 206
        body = data[start:]
        handler.send_response(status)
        if status == 206:
            handler.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        handler.send_header("Content-Length", str(len(body)))
        handler.send_header("Content-Type", "application/octet-stream")
        handler.end_headers()
        cut = self.cut_after.pop(name, None)
        stall = self.stall_after.pop(name, None)
        if cut is not None or stall is not None:
            body = body[: cut if cut is not None else stall]
        # recorded before sending: the client may check the log as soon as it has read the body
        self.requests.append(ServedRequest(name, header, status, len(body)))
        handler.wfile.write(body)
        handler.wfile.flush()
        if stall is not None:
            time.sleep(self.stall_seconds)
        if cut is not None:  # drop the connection with the promised bytes still missing
            handler.close_connection = True
            handler.connection.shutdown(socket.SHUT_RDWR)


def closed_port_url(name: str) -> str:
    """A URL on 127.0.0.1 where nothing listens (the port was free a moment ago)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/{name}"
