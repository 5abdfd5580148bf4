"""`render --executor ray` on a real two-node Ray cluster on 127.0.0.1, started with the `ray` CLI.

The head and the second node are `ray start` processes, each in a session of its own; their
members are found by the recorded session id and killed by pid (never `ray stop`, which kills
Ray processes by name). Ray's temp dir is a short per-run /tmp/rayXXXX (unix socket paths are
limited to ~107 bytes). Every step has a timeout. The shot is 12 frames of dance.mp4 as ACEScg
half EXR with the morph swapper.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from ghost_core import cli
from ghost_core.io.exr import read_frame
from ghost_core.io.sequence import FramePattern
from tests.shots import ASSETS, write_dance_plate

ray = pytest.importorskip("ray", reason="the Ray executor needs `pip install 'ghostswap[ray]'`")

REPO = Path(__file__).resolve().parents[2]
RAY = Path(sys.executable).with_name("ray")
SOURCE = str(ASSETS / "faces" / "elon_musk.jpg")
OFFLINE = ["--swapper", "morph", "--detector", "retinaface", "--landmarker", "mesh"]
FRAMES = 12
STEP_TIMEOUT_S = 60


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def session_members(sid: int) -> list[int]:
    """Live pids of a session (from /proc). Ray puts each worker in a process group of its own,
    but every process a `ray start` spawns stays in the session `start_new_session` gave it."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[3]) == sid and fields[0] not in "ZX":
                pids.append(int(entry.name))
    return pids


def kill_session(sid: int, grace_s: float = 3.0) -> None:
    """SIGTERM every member, then SIGKILL what is left after `grace_s` (gcs_server ignores SIGTERM)."""
    for sig, wait in ((signal.SIGTERM, grace_s), (signal.SIGKILL, 5.0)):
        for pid in session_members(sid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
        deadline = time.monotonic() + wait
        while session_members(sid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if not session_members(sid):
            return


class Cluster:
    """A head and a worker node started with `ray start`, each in a session of its own."""

    def __init__(self) -> None:
        self.temp_dir = tempfile.mkdtemp(prefix="ray", dir="/tmp")  # short: unix socket path limit
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.sessions: dict[str, int] = {}
        # The same settings for every node and driver: no stale ~/.ray token or /tmp/ray session leaks in.
        self.env = {**os.environ, "RAY_TMPDIR": self.temp_dir, "RAY_AUTH_MODE": "disabled"}

    def start_node(self, name: str, *args: str) -> None:
        common = ["--node-ip-address=127.0.0.1", "--num-cpus=1", "--disable-usage-stats"]
        proc = subprocess.Popen(
            [str(RAY), "start", *args, *common],
            start_new_session=True,  # its own session: everything this node spawns stays in it
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=self.env,
        )
        self.sessions[name] = proc.pid
        out, _ = proc.communicate(timeout=STEP_TIMEOUT_S)
        assert proc.returncode == 0, f"ray start ({name}) failed:\n{out[-3000:]}"

    def start(self) -> None:
        self.start_node(
            "head",
            "--head",
            f"--port={self.port}",
            "--include-dashboard=false",
            f"--temp-dir={self.temp_dir}",
        )
        self.start_node("worker", f"--address={self.address}")

    def start_in_background(self) -> None:
        """Boot the nodes while the shot is tracked and rendered locally (both take seconds)."""
        self.thread = threading.Thread(target=self._boot, daemon=True)
        self.error: BaseException | None = None
        self.thread.start()

    def _boot(self) -> None:
        try:
            self.start()
        except BaseException as exc:
            self.error = exc

    def wait(self) -> Cluster:
        self.thread.join(timeout=2 * STEP_TIMEOUT_S)
        assert not self.thread.is_alive(), "ray start did not return"
        if self.error is not None:
            raise self.error
        return self

    def kill(self, name: str) -> None:
        kill_session(self.sessions[name], grace_s=0.0)

    def stop(self) -> None:
        if getattr(self, "thread", None) is not None:
            self.thread.join(timeout=2 * STEP_TIMEOUT_S)  # sessions started late must be recorded first
        for name in reversed(list(self.sessions)):
            kill_session(self.sessions[name], grace_s=1.0)
        shutil.rmtree(self.temp_dir, ignore_errors=True)


@pytest.fixture(scope="module")
def booting_cluster() -> Iterator[Cluster]:
    c = Cluster()
    try:
        c.start_in_background()
        yield c
    finally:
        c.stop()


@pytest.fixture
def cluster(booting_cluster: Cluster, shot: dict[str, str]) -> Cluster:
    """The cluster, once up (it boots while the `shot` fixture tracks and renders locally)."""
    return booting_cluster.wait()


@pytest.fixture(scope="module")
def shot(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The shot, its track file and a local whole-shot render (the reference)."""
    folder = tmp_path_factory.mktemp("ray_shot")
    plate = write_dance_plate(folder / "plate", count=FRAMES)
    track = str(folder / "shot.track.json")
    assert cli.main(["track", "--plate", plate, "--source", SOURCE, "--out", track, *OFFLINE]) == 0
    local = str(folder / "local" / "swap.####.exr")
    args = ["render", "--plate", plate, "--source", SOURCE, "--track", track, "--out", local, *OFFLINE]
    assert cli.main(args) == 0
    return {"plate": plate, "track": track, "local": local, "folder": str(folder)}


def render_args(shot: dict[str, str], out: str, *extra: str) -> list[str]:
    return [
        "render", "--plate", shot["plate"], "--source", SOURCE, "--track", shot["track"],
        "--out", out, *OFFLINE, *extra,
    ]  # fmt: skip


def render_command(shot: dict[str, str], out: str, cluster: Cluster) -> list[str]:
    """The driver's command line: two workers, two-frame chunks, on the test cluster."""
    cluster_args = ["--executor", "ray", "--address", cluster.address, "--workers", "2", "--chunk", "2"]
    return [sys.executable, "-m", "ghost_core.cli", "--json", *render_args(shot, out, *cluster_args)]


def driver(argv: list[str], cluster: Cluster) -> subprocess.Popen[str]:
    """The driver is a separate process, like a user's shell: Ray state never leaks into pytest."""
    pipe = subprocess.PIPE
    return subprocess.Popen(argv, cwd=REPO, stdout=pipe, stderr=pipe, text=True, env=cluster.env)


def summary_of(proc: subprocess.Popen[str]) -> dict:
    out, err = proc.communicate(timeout=STEP_TIMEOUT_S)
    assert proc.returncode == 0, err[-4000:]
    return json.loads(out)


def assert_same_pixels(reference: str, other: str) -> None:
    a_pat, b_pat = FramePattern.parse(reference), FramePattern.parse(other)
    assert b_pat.discover() == a_pat.discover() == list(range(1001, 1001 + FRAMES))
    for f in a_pat.discover():
        a, b = read_frame(a_pat.path(f)), read_frame(b_pat.path(f))
        assert a.channel_names == b.channel_names
        assert "ghost.matte" in a.channel_names
        for name in a.channel_names:
            pa, pb = a.plane(name), b.plane(name)
            bits = np.uint16 if pa.dtype == np.float16 else np.uint32
            assert np.array_equal(pa.view(bits), pb.view(bits)), (f, name)


def leftovers(pattern: str) -> list[str]:
    folder = FramePattern.parse(pattern).path(1001).parent
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".") or ".tmp" in p.name)


def test_two_nodes_render_the_local_pixels(cluster: Cluster, shot: dict[str, str]) -> None:
    out = str(Path(shot["folder"]) / "ray" / "swap.####.exr")
    summary = summary_of(driver(render_command(shot, out, cluster), cluster))
    assert summary["executor"] == "ray"
    assert summary["written"] == FRAMES and summary["skipped_complete"] == 0
    assert summary["retried_chunks"] == 0
    per_node = summary["frames_per_node"]
    assert len(per_node) == 2, f"frames went to one node only: {per_node}"
    assert all(n > 0 for n in per_node.values()), per_node
    assert sum(per_node.values()) == FRAMES
    assert_same_pixels(shot["local"], out)
    assert leftovers(out) == []


def worker_node_is_rendering(cluster: Cluster) -> bool:
    """True while an actor on the second node runs `render` (Ray names the process after the call)."""
    for pid in session_members(cluster.sessions["worker"]):
        try:
            title = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if "ShotWorker.render" in title:
            return True
    return False


def test_killing_a_node_mid_run_still_completes_the_shot(cluster: Cluster, shot: dict[str, str]) -> None:
    out = str(Path(shot["folder"]) / "ray_killed" / "swap.####.exr")
    proc = driver(render_command(shot, out, cluster), cluster)
    try:
        deadline = time.monotonic() + STEP_TIMEOUT_S
        while not worker_node_is_rendering(cluster):
            assert proc.poll() is None, "the render finished before the second node got a chunk"
            assert time.monotonic() < deadline, "the second node never started rendering"
            time.sleep(0.02)
        cluster.kill("worker")  # raylet, its workers and the actor, mid-chunk
        summary = summary_of(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert summary["lost_workers"] >= 1 and summary["retried_chunks"] >= 1, summary
    assert summary["written"] + summary["skipped_complete"] == FRAMES
    assert_same_pixels(shot["local"], out)
    assert leftovers(out) == [], "a killed worker's temp file was left beside the frames"


def test_unreachable_address_fails_fast_with_the_fix(
    shot: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    out = str(Path(shot["folder"]) / "nowhere" / "swap.####.exr")
    dead = f"127.0.0.1:{free_port()}"  # nothing listens there
    started = time.monotonic()
    code = cli.main(render_args(shot, out, "--executor", "ray", "--address", dead))
    assert code == 2
    assert time.monotonic() - started < STEP_TIMEOUT_S
    err = capsys.readouterr().err
    assert f"cannot reach the Ray head at {dead}" in err and "ray start --head" in err
    assert not FramePattern.parse(out).discover()


def test_missing_ray_names_the_extra(
    shot: dict[str, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` raises ImportError, as without the wheel
    out = str(Path(shot["folder"]) / "no_ray" / "swap.####.exr")
    assert cli.main(render_args(shot, out, "--executor", "ray")) == 2
    assert "pip install 'ghostswap[ray]'" in capsys.readouterr().err


def test_cluster_options_need_the_ray_executor(
    shot: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    out = str(Path(shot["folder"]) / "local_workers" / "swap.####.exr")
    assert cli.main(render_args(shot, out, "--workers", "2")) == 2
    assert "--workers only apply to --executor ray" in capsys.readouterr().err
    assert cli.main(render_args(shot, out, "--executor", "ray", "--chunk", "0")) == 2
    assert "--chunk must be 1 or more" in capsys.readouterr().err
