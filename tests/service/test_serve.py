"""`ghostswap serve` end to end: a real server process on 127.0.0.1, real HTTP, the morph swapper.

The server runs with GHOSTSWAP_SERVE_TEST_SLOWDOWN (an explicit test hook: a pause after each
render batch) so that cancelling or killing a job mid-render does not depend on machine speed.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ghost_core.cli import main
from ghost_core.errors import InputError
from ghost_core.io.exr import read_frame
from ghost_core.io.sequence import FramePattern
from ghost_core.jobs.schema import parse_job
from ghost_core.service.client import ServerClient
from ghost_core.service.connection import CONNECTION_FILE, Connection, read_connection
from tests.shots import ASSETS

REPO = Path(__file__).resolve().parents[2]
PHOTO = str(ASSETS / "faces" / "elon_musk.jpg")
SLOWDOWN = "0.1"


class Server:
    def __init__(self, state: Path, log: Path, slowdown: str | None = SLOWDOWN) -> None:
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        env.pop("GHOSTSWAP_SERVE_TEST_SLOWDOWN", None)
        if slowdown:
            env["GHOSTSWAP_SERVE_TEST_SLOWDOWN"] = slowdown
        self.state, self.log = state, log
        with open(log, "ab") as err:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "ghost_core.cli", "serve", "--state-dir", str(state)],
                cwd=REPO,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=err,
            )
        deadline = time.monotonic() + 60
        while (conn := read_connection(state)) is None or conn.pid != self.proc.pid:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"ghostswap serve did not start:\n{log.read_text()}")
            time.sleep(0.05)
        self.connection: Connection = conn
        self.client = ServerClient(conn, state)

    def wait_for(self, job_id: str, until: object, timeout: float = 90) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            view = self.client.job(job_id)
            if until(view):  # type: ignore[operator]
                return view
            time.sleep(0.05)
        pytest.fail(f"job {job_id} never reached the wanted state: {view}\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(60)


def job_dict(plate: str, root: Path, node: str, **extra: object) -> dict:
    return {
        "schema": "ghostswap.job",
        "version": 1,
        "plate": plate,
        "sources": [PHOTO],
        "cache": {"root": str(root), "node": node},
        "swapper": {"name": "morph"},
        **extra,
    }


def raw_get(port: int, path: str, headers: dict[str, str]) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers=headers)
        return conn.getresponse().status
    finally:
        conn.close()


def listening_addresses(port: int) -> set[str]:
    """Local addresses that listen on `port`, from the kernel's own table (/proc/net/tcp, tcp6)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A = LISTEN
                found.add(address)
    return found


def frames_on_disk(folder: Path) -> dict[str, tuple[int, int]]:
    return {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in folder.glob("swap.*.exr")}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("serve")
    running = Server(folder / "state", folder / "server.log")
    yield running
    running.stop()
    assert running.proc.returncode == 0, running.log.read_text()[-3000:]
    assert not (running.state / CONNECTION_FILE).exists(), "SIGTERM must remove the connection file"


@pytest.fixture(scope="module")
def track_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One track file for the long (dance) jobs, so only the first of them pays for tracking."""
    return tmp_path_factory.mktemp("track")


def test_every_request_needs_the_token(server: Server) -> None:
    port, token = server.connection.port, server.connection.token
    for path in ("/health", "/jobs", "/jobs/abc", "/no/such/path"):
        assert raw_get(port, path, {}) == 401
        assert raw_get(port, path, {"Authorization": f"Bearer {token[:-1]}x"}) == 401
        assert raw_get(port, path, {"Authorization": f"Basic {token}"}) == 401
    assert raw_get(port, "/no/such/path", {"Authorization": f"Bearer {token}"}) == 404
    health = server.client.health()
    assert health["pid"] == server.proc.pid and health["queue"] == 0


def test_connection_file_is_private_and_the_server_listens_on_loopback_only(server: Server) -> None:
    path = server.state / CONNECTION_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert set(json.loads(path.read_text())) == {"port", "token", "pid", "version"}
    assert listening_addresses(server.connection.port) == {"0100007F"}  # 127.0.0.1, nothing else


def test_a_non_loopback_bind_is_refused(tmp_path: Path) -> None:
    for address in ("0.0.0.0", "192.168.1.10", "::"):
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "ghost_core.cli",
                "serve",
                "--bind",
                address,
                "--state-dir",
                str(tmp_path),
            ],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 2, done.stderr
        assert "loopback" in done.stderr and "127.0.0.1" in done.stderr
        assert not (tmp_path / CONNECTION_FILE).exists()


def test_a_bad_job_is_rejected_with_the_validation_message(
    server: Server, short_plate: str, tmp_path: Path
) -> None:
    bad = job_dict(short_plate, tmp_path, "bad", matte={"erod": 3})
    with pytest.raises(InputError) as local:
        parse_job(bad, tmp_path, origin="job")
    status, payload = server.client.request("POST", "/jobs", {"job": bad, "base": str(tmp_path)})
    assert status == 400 and payload["error"] == str(local.value)
    assert "matte.erod" in payload["error"]
    status, payload = server.client.request("POST", "/jobs", {"job_file": str(tmp_path / "none.json")})
    assert status == 400 and "job file not found" in payload["error"]
    assert server.client.jobs() == []


def test_two_clients_queue_and_run_in_order(
    server: Server, short_plate: str, tmp_path: Path, track_dir: Path
) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO), "GHOSTSWAP_STATE_DIR": str(server.state)}
    procs = []
    for node in ("first", "second"):
        path = tmp_path / f"{node}.json"
        path.write_text(
            json.dumps(
                job_dict(short_plate, tmp_path / "cache", node, track_file=str(track_dir / "short.json"))
            )
        )
        procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "ghost_core.cli", "-q", "--json", "bake", "--job", str(path)],
                cwd=REPO,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
        deadline = time.monotonic() + 60  # the second client submits once the first job is queued
        while len(server.client.jobs()) < len(procs) and time.monotonic() < deadline:
            time.sleep(0.05)
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        results.append(json.loads(out))
    first, second = (server.client.job(r["server"]["job_id"]) for r in results)
    assert [r["written"] for r in results] == [4, 4]
    assert all(r["server"]["pid"] == server.proc.pid for r in results)
    assert results[1]["server"]["warm"], "the second job uses the same photos and models: already loaded"
    assert first["finished"] <= second["started"], "one job at a time, first come first served"
    ids = [j["id"] for j in server.client.jobs()]
    assert ids.index(first["id"]) < ids.index(second["id"])


def test_ctrl_c_in_bake_cancels_the_server_job_and_keeps_finished_frames(
    server: Server, dance_plate: str, tmp_path: Path, track_dir: Path
) -> None:
    job = job_dict(
        dance_plate, tmp_path, "cancel", runtime={"batch": 1}, track_file=str(track_dir / "t.json")
    )
    path = tmp_path / "job.json"
    path.write_text(json.dumps(job))
    env = {**os.environ, "PYTHONPATH": str(REPO), "GHOSTSWAP_STATE_DIR": str(server.state)}
    client = subprocess.Popen(
        [sys.executable, "-m", "ghost_core.cli", "bake", "--job", str(path), "--server-only"],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while not (jobs := [j for j in server.client.jobs() if j["state"] in ("queued", "running")]):
        assert client.poll() is None and time.monotonic() < deadline, client.communicate()
        time.sleep(0.05)
    job_id = jobs[0]["id"]
    server.wait_for(job_id, lambda v: v["progress"]["stage"] == "render" and v["progress"]["done"] >= 2)
    client.send_signal(signal.SIGINT)  # Ctrl-C in the host's bake
    _, err = client.communicate(timeout=60)
    assert client.returncode == 130, err
    view = server.wait_for(job_id, lambda v: v["state"] != "running")
    assert view["state"] == "cancelled"
    folder = next((tmp_path / "cancel").iterdir())
    names = sorted(p.name for p in folder.iterdir())
    assert not [n for n in names if n.startswith(".")], f"temporary files left: {names}"
    assert 2 <= len(names) < 18, names
    for name in names:
        assert read_frame(folder / name).plane("ghost.matte").max() > 0.5
    status, payload = server.client.request("POST", f"/jobs/{job_id}/cancel")
    assert status == 409 and payload["state"] == "cancelled"


def test_bake_runs_locally_when_no_server_answers(
    short_plate: str,
    tmp_path: Path,
    track_dir: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    state = tmp_path / "state"
    state.mkdir(mode=0o700)
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    stale = {"port": 1, "token": "x", "pid": int(dead.stdout), "version": "0.1.0"}
    (state / CONNECTION_FILE).write_text(json.dumps(stale))
    monkeypatch.setenv("GHOSTSWAP_STATE_DIR", str(state))
    path = tmp_path / "job.json"
    path.write_text(
        json.dumps(
            job_dict(short_plate, tmp_path / "cache", "local", track_file=str(track_dir / "short.json"))
        )
    )

    assert main(["-q", "--json", "bake", "--job", str(path), "--server-only"]) == 7
    assert "no ghostswap serve is running" in json.loads(capsys.readouterr().out)["message"]
    assert main(["-q", "--json", "bake", "--job", str(path)]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["server"] is None and summary["written"] == 4


def test_a_killed_server_resumes_its_job_without_redoing_finished_frames(
    dance_plate: str, tmp_path: Path, track_dir: Path
) -> None:
    state = tmp_path / "state"
    first = Server(state, tmp_path / "first.log")
    job = job_dict(
        dance_plate, tmp_path, "restart", runtime={"batch": 1}, track_file=str(track_dir / "t.json")
    )
    job_id = first.client.submit(job, tmp_path)
    first.wait_for(job_id, lambda v: v["progress"]["stage"] == "render" and v["progress"]["done"] >= 4)
    first.proc.send_signal(signal.SIGKILL)
    first.proc.wait(30)
    folder = next((tmp_path / "restart").iterdir())
    before = frames_on_disk(folder)
    assert 4 <= len(before) < 18

    second = Server(state, tmp_path / "second.log", slowdown=None)
    try:
        view = second.wait_for(job_id, lambda v: v["state"] not in ("queued", "running"))
        assert view["state"] == "done", view
        summary = view["summary"]
        assert summary["skipped_complete"] == len(before) and summary["written"] == 18 - len(before)
        after = frames_on_disk(folder)
        assert len(after) == 18
        assert {name: after[name] for name in before} == before, (
            "frames finished before the kill were rewritten"
        )
        assert not [p.name for p in folder.iterdir() if p.name.startswith(".")]
        out = FramePattern.parse(summary["output"])
        assert read_frame(out.path(1018)).plane("ghost.matte").max() > 0.5
    finally:
        stopped = subprocess.run(
            [sys.executable, "-m", "ghost_core.cli", "serve", "stop", "--state-dir", str(state)],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=90,
        )
        second.stop()
    assert stopped.returncode == 0, stopped.stderr
    assert second.proc.returncode == 0
    assert not (state / CONNECTION_FILE).exists(), "a clean exit removes the connection file"
