"""`serve` against hostile request bodies: too large, lying lengths, not JSON, wrong token first.

Each request gets a typed HTTP error at once (no hang, no traceback in the log), and the server keeps
answering afterwards.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator

import pytest

from tests.service.test_serve import Server


@pytest.fixture(scope="module")
def serve(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("serve-bodies")
    running = Server(folder / "state", folder / "server.log", slowdown=None)
    yield running
    running.stop()
    assert running.proc.returncode == 0, running.log.read_text()[-3000:]
    assert "Traceback" not in running.log.read_text()


def _post(server: Server, length: str, body: bytes, token: str | None = None) -> int:
    """A raw POST /jobs with a hand-written Content-Length; the status code (0: no answer in 10 s)."""
    token = server.connection.token if token is None else token
    head = (
        f"POST /jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", server.connection.port), timeout=10) as sock:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # it may answer before the end
            sock.sendall(head.encode() + body)
        try:
            reply = sock.recv(64)
        except (TimeoutError, ConnectionResetError):
            return 0
    return int(reply.split()[1]) if reply.startswith(b"HTTP/") else 0


@pytest.mark.parametrize(
    ("length", "body"),
    [
        (str(8 << 20), b"x" * (1 << 16)),  # claims 8 MiB: refused before reading it
        ("-5", b"{}"),  # a negative length must not read until the client gives up
        ("banana", b"{}"),
        ("12", b"{not json!!}"),
        ("4", b"\xff\xfe\xfd\xfc"),
    ],
)
def test_hostile_bodies_get_a_client_error_and_the_server_lives(
    serve: Server, length: str, body: bytes
) -> None:
    status = _post(serve, length, body)
    assert 400 <= status < 500, status
    assert serve.client.health()["pid"] == serve.proc.pid


def test_a_wrong_token_is_refused_before_the_body_is_read(serve: Server) -> None:
    assert _post(serve, str(8 << 20), b"x" * 1024, token="nope") == 401
