"""`ghostswap serve` under load, then a hard restart: throughput, tail latency, no lost job.

    python benchmarks/serve_load.py [--clients 50] [--requests 40] [--jobs 5] [--json out.json]

Loopback only (the server refuses anything else), bounded in request count and time, and it
stops by itself. It starts a real `ghostswap serve` on a private state folder, reads the token
from the connection file (as `ghostswap bake` does) and:

1. bakes one small job (a two-frame plate, morph swapper) so there is a job to ask about;
2. fires `GET /jobs/<id>` from `--clients` concurrent clients, `--requests` each, one HTTP
   connection per request as `ghostswap bake` polls, and reports requests/s and p50/p99 latency;
3. submits `--jobs` small jobs, SIGKILLs the server while they are queued or running, starts a
   new server on the same state folder, waits for them, and reports whether any job was lost
   (an acknowledged id missing, or not finished `done`) or duplicated (an id listed twice, a job
   record file too many, or a job's frames written more than once).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402
import OpenImageIO as oiio  # noqa: E402

from ghost_core.service.connection import Connection, read_connection  # noqa: E402

PHOTO = REPO.parent / "shared" / "assets" / "faces" / "elon_musk.jpg"
DEADLINE_S = 240.0  # the whole run; each wait below is bounded by what is left of it
FRAMES = (1001, 1002)


def _plate(folder: Path) -> str:
    """Two tiny half RGBA frames (no face: the render writes them back with an empty matte)."""
    folder.mkdir(parents=True)
    y = np.linspace(0, 1, 48, dtype=np.float32)[:, None] * np.ones((1, 64), np.float32)
    pixels = np.stack([y, y, y, np.ones_like(y)], axis=2).astype(np.float16)
    for frame in FRAMES:
        path = str(folder / f"plate.{frame}.exr")
        spec = oiio.ImageSpec(64, 48, 4, oiio.HALF)
        spec.channelnames = ("R", "G", "B", "A")
        out = oiio.ImageOutput.create(path)
        if out is None or not out.open(path, spec) or not out.write_image(pixels):
            raise SystemExit(f"cannot write {path}: {oiio.geterror()}")
        out.close()
    return str(folder / "plate.####.exr")


def _job(plate: str, root: Path, node: str) -> dict[str, Any]:
    return {
        "schema": "ghostswap.job",
        "version": 1,
        "plate": plate,
        "sources": [str(PHOTO)],
        "cache": {"root": str(root), "node": node},
        "swapper": {"name": "morph"},
    }


class Server:
    """One `ghostswap serve` process on the state folder; stderr goes to a log file."""

    def __init__(self, state: Path, log: Path, deadline: float) -> None:
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        env.pop("GHOSTSWAP_SERVE_TEST_SLOWDOWN", None)
        with open(log, "ab") as err:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "ghost_core.cli", "serve", "--state-dir", str(state)],
                cwd=REPO,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=err,
            )
        self.log = log
        while (conn := read_connection(state)) is None or conn.pid != self.proc.pid:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.kill()
                raise SystemExit(f"ghostswap serve did not start:\n{log.read_text()[-2000:]}")
            time.sleep(0.05)
        self.connection: Connection = conn

    def request(self, method: str, path: str, body: Any = None, timeout: float = 30) -> tuple[int, Any]:
        conn = http.client.HTTPConnection("127.0.0.1", self.connection.port, timeout=timeout)
        try:
            headers = {"Authorization": f"Bearer {self.connection.token}"}
            data = None
            if body is not None:
                data = json.dumps(body).encode()
                headers["Content-Type"] = "application/json"
            conn.request(method, path, body=data, headers=headers)
            response = conn.getresponse()
            return response.status, json.loads(response.read() or b"{}")
        finally:
            conn.close()

    def submit(self, job: dict[str, Any], base: Path) -> str:
        status, payload = self.request("POST", "/jobs", {"job": job, "base": str(base)})
        if status != 202:
            raise SystemExit(f"submit answered {status}: {payload}")
        return str(payload["id"])

    def wait_finished(self, ids: list[str], deadline: float) -> dict[str, dict[str, Any]]:
        views: dict[str, dict[str, Any]] = {}
        while time.monotonic() < deadline:
            views = {i: self.request("GET", f"/jobs/{i}")[1] for i in ids}
            if all(v.get("state") in ("done", "failed", "cancelled") for v in views.values()):
                return views
            time.sleep(0.1)
        return views

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(30)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.kill()


def load(server: Server, job_id: str, clients: int, requests: int, deadline: float) -> dict[str, Any]:
    """`clients` threads, each `requests` GET /jobs/<id> calls (or until the deadline)."""
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors: list[str] = []
    start = threading.Barrier(clients + 1)

    def client(index: int) -> None:
        start.wait()
        for _ in range(requests):
            if time.monotonic() > deadline:
                return
            began = time.perf_counter()
            try:
                status, payload = server.request("GET", f"/jobs/{job_id}", timeout=10)
            except (OSError, http.client.HTTPException, ValueError) as exc:
                errors.append(type(exc).__name__)
                continue
            latencies[index].append(time.perf_counter() - began)
            if status != 200 or payload.get("id") != job_id:
                errors.append(f"HTTP {status}")

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()) + 1)
    wall = time.perf_counter() - began
    done = sorted(x for per_client in latencies for x in per_client)
    if not done:
        raise SystemExit(f"no request succeeded: {errors[:5]}")
    return {
        "clients": clients,
        "requests": len(done),
        "errors": len(errors),
        "error_kinds": sorted(set(errors)),
        "seconds": round(wall, 3),
        "requests_per_s": round(len(done) / wall, 1),
        "latency_ms_p50": round(1000 * statistics.median(done), 2),
        "latency_ms_p99": round(1000 * done[min(len(done) - 1, int(0.99 * len(done)))], 2),
        "latency_ms_max": round(1000 * done[-1], 2),
    }


def restart(state: Path, root: Path, plate: str, first: Server, jobs: int, deadline: float) -> dict[str, Any]:
    """Submit `jobs`, SIGKILL the server, start another on the same state, check every job once."""
    ids = [first.submit(_job(plate, root / "cache", f"restart{i}"), root) for i in range(jobs)]
    before = {i: first.request("GET", f"/jobs/{i}")[1] for i in ids}
    first.kill()
    second = Server(state, root / "second.log", deadline)
    try:
        views = second.wait_finished(ids, deadline)
        listing = second.request("GET", "/jobs")[1]["jobs"]
    finally:
        second.stop()
    listed = [job["id"] for job in listing]
    records = sorted(p.stem for p in (state / "jobs").glob("*.json"))
    lost = [i for i in ids if i not in listed or views.get(i, {}).get("state") != "done"]
    duplicated = sorted({i for i in listed if listed.count(i) > 1})
    if sorted(set(listed)) != records:  # a record file for a job the server does not list, or the reverse
        duplicated += sorted(set(records) ^ set(listed))
    # A job finished before the kill must not run again; every job's frames exist exactly once.
    rerun = [
        i for i, v in before.items() if v.get("state") == "done" and views[i].get("summary") != v["summary"]
    ]
    frames = {}
    for i in ids:
        summary = views.get(i, {}).get("summary") or {}
        frames[i] = (summary.get("written", 0), summary.get("skipped_complete", 0))
    wrong_frames = [i for i, (w, k) in frames.items() if w + k != len(FRAMES)]
    at_kill = [str(v.get("state")) for v in before.values()]
    return {
        "jobs": jobs,
        "states_at_kill": {s: at_kill.count(s) for s in sorted(set(at_kill))},
        "finished_done": sum(views.get(i, {}).get("state") == "done" for i in ids),
        "lost": lost,
        "duplicated": duplicated,
        "rerun_after_done": rerun,
        "frames_written_skipped": {i: list(v) for i, v in frames.items()},
        "frames_not_exactly_once": wrong_frames,
        "job_records_on_disk": len(records),
        "second_server_exit": second.proc.returncode,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=40, help="status calls per client")
    parser.add_argument("--jobs", type=int, default=5, help="jobs submitted before the restart")
    parser.add_argument("--json", metavar="FILE", help="also write the figures here")
    args = parser.parse_args()
    if not PHOTO.is_file():
        raise SystemExit(f"{PHOTO} is missing: the benchmark needs ../shared beside the checkout")
    deadline = time.monotonic() + DEADLINE_S
    with tempfile.TemporaryDirectory(prefix="ghostswap-serve-load-") as tmp:
        root = Path(tmp)
        state = root / "state"
        plate = _plate(root / "plate")
        server = Server(state, root / "first.log", deadline)
        try:
            warm_id = server.submit(_job(plate, root / "cache", "warm"), root)
            warm = server.wait_finished([warm_id], deadline)[warm_id]
            if warm.get("state") != "done":
                raise SystemExit(
                    f"the first job did not finish: {warm}\n{(root / 'first.log').read_text()[-2000:]}"
                )
            figures = {"status_load": load(server, warm_id, args.clients, args.requests, deadline)}
            figures["restart"] = restart(state, root, plate, server, args.jobs, deadline)
        finally:
            server.kill()
    print(json.dumps(figures, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n")
    restarted = figures["restart"]
    if any(restarted[k] for k in ("lost", "duplicated", "rerun_after_done", "frames_not_exactly_once")):
        raise SystemExit("jobs were lost or duplicated across the restart")


if __name__ == "__main__":
    main()
