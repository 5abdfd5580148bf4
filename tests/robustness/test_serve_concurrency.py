"""`serve` with many clients at once: every request answered, every job kept exactly once.

Bounded and loopback only: 24 client threads, each with its own HTTP connections, poll the server
while 6 of them submit a job each. The server must answer every request (no reset, no 5xx), give
each submission its own id, list each job once, finish them all and leave no traceback in its log.
`benchmarks/serve_load.py` measures the same traffic for speed; this test checks correctness.
"""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import OpenImageIO as oiio
import pytest

from tests.service.test_serve import Server, job_dict

CLIENTS = 24
POLLS = 8
SUBMITTERS = 6


def _tiny_plate(folder: Path) -> str:
    """Two 64×48 half frames with no face, so each job is a cheap real render."""
    folder.mkdir(parents=True)
    ramp = np.linspace(0, 1, 48, dtype=np.float32)[:, None] * np.ones((1, 64), np.float32)
    pixels = np.stack([ramp, ramp, ramp, np.ones_like(ramp)], axis=2).astype(np.float16)
    for frame in (1001, 1002):
        path = str(folder / f"plate.{frame:04d}.exr")
        spec = oiio.ImageSpec(64, 48, 4, oiio.HALF)
        out = oiio.ImageOutput.create(path)
        assert out is not None and out.open(path, spec) and out.write_image(pixels), oiio.geterror()
        out.close()
    return str(folder / "plate.####.exr")


@pytest.fixture()
def serve(tmp_path: Path) -> Iterator[Server]:
    running = Server(tmp_path / "state", tmp_path / "server.log", slowdown=None)
    yield running
    running.stop()
    assert running.proc.returncode == 0, running.log.read_text()[-3000:]


def _request(server: Server, method: str, path: str, body: object = None) -> tuple[int, dict]:
    """One request on its own connection (as `bake` polls); (0, {}) when the server drops it."""
    conn = http.client.HTTPConnection("127.0.0.1", server.connection.port, timeout=30)
    headers = {"Authorization": f"Bearer {server.connection.token}"}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    try:
        conn.request(method, path, body=data, headers=headers)
        reply = conn.getresponse()
        return reply.status, json.loads(reply.read() or b"{}")
    except (ConnectionError, TimeoutError, http.client.HTTPException):
        return 0, {}
    finally:
        conn.close()


def test_many_concurrent_clients_lose_and_duplicate_nothing(serve: Server, tmp_path: Path) -> None:
    plate = _tiny_plate(tmp_path / "plate")
    statuses: list[int] = []
    submitted: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(CLIENTS)

    def client(index: int) -> None:
        start.wait(timeout=30)
        seen = []
        if index < SUBMITTERS:
            job = job_dict(plate, tmp_path / "cache", f"node{index}")
            status, payload = _request(serve, "POST", "/jobs", {"job": job, "base": str(tmp_path)})
            seen.append(status)
            if status in (200, 202):
                with lock:
                    submitted.append(str(payload["id"]))
        for poll in range(POLLS):
            seen.append(_request(serve, "GET", "/jobs" if poll % 2 else "/health")[0])
        with lock:
            statuses.extend(seen)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a client hung"

    assert len(statuses) == CLIENTS * POLLS + SUBMITTERS
    assert set(statuses) <= {200, 202}, sorted(set(statuses))
    assert len(submitted) == SUBMITTERS and len(set(submitted)) == SUBMITTERS, submitted
    listed = [job["id"] for job in serve.client.jobs()]
    assert sorted(listed) == sorted(submitted), (listed, submitted)
    for job_id in submitted:
        view = serve.wait_for(job_id, lambda v: v["state"] in ("done", "failed", "cancelled"), timeout=120)
        assert view["state"] == "done", view
    for index in range(SUBMITTERS):
        written = list((tmp_path / "cache").rglob(f"*node{index}*"))
        assert written, f"node{index} wrote nothing"
    assert serve.client.health()["pid"] == serve.proc.pid
    assert "Traceback" not in serve.log.read_text()
