"""`--executor ray`: render one shot's frames on a Ray cluster with long-lived model actors.

Each worker is an actor that loads the Shot (swapper, identities, landmarker) once and renders
chunks of frames with the track file the driver shares through Ray's object store. Because a
render with a track file is chunk-invariant, the pixels equal a local whole-shot render. Workers
write frames atomically straight to `--out` (shared storage); the driver only hands out chunks,
at most IN_FLIGHT chunks per worker (so a slow node never hoards the queue), and moves the
chunks of a worker that died to the others: the resume check skips frames it had finished, and
the driver deletes the temp file it may have left half-written.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import time
from collections import Counter, deque
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ghost_core.console import log, progress
from ghost_core.engine.render import Renderer, check_output, render, requested_frames
from ghost_core.engine.shot import Shot, load_track, plan_from_trackfile, shot_track
from ghost_core.engine.summary import FarmStats, RenderSummary
from ghost_core.errors import GhostSwapError, OutputError, UsageError
from ghost_core.executors.base import Executor, ExecutorOptions
from ghost_core.faces.trackfile import TrackFile
from ghost_core.io.atomic import temp_path_for
from ghost_core.io.sequence import FramePattern, compact_frames
from ghost_core.knobs import ShotSettings

DEFAULT_CHUNK = 8
IN_FLIGHT = 2  # chunks queued per worker: one rendering, one waiting, so a worker never idles
MAX_RETRIES_PER_WORKER = 3  # more lost chunks than 3 per worker (+1 per chunk) stops the render
RECLAIM_S = 30.0  # a worker still loading after this long gives its chunks back once others idle
CONNECT_TIMEOUT_S = 5.0
START_TIMEOUT_S = 300.0  # no worker able to start (no free GPU/CPU anywhere) for this long: give up
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise UsageError(
            "--executor ray needs Ray on this machine and on every worker node: pip install 'ghostswap[ray]'"
        ) from None
    return ray


# ---------------------------------------------------------------------------------------- worker


class ShotWorker:
    """The body of one Ray actor: the shot loaded once, then any number of frame chunks."""

    def __init__(self) -> None:
        self.renderer: Renderer | None = None

    def load(self, settings: ShotSettings, track: TrackFile) -> dict[str, Any]:
        """Load models and identities; returns where this worker runs (for the summary and cleanup)."""
        import ray

        from ghost_core.console import setup_logging

        setup_logging(quiet=True)  # one progress bar, on the driver; warnings come back in summaries
        self.renderer = Shot(settings).renderer(settings, track)
        node = ray.get_runtime_context().get_node_id()
        return {"node": node, "pid": os.getpid(), "host": socket.gethostname()}

    def render(self, frames: list[int | None]) -> RenderSummary:
        """Render these frames (finished ones are skipped, so a retried chunk resumes)."""
        assert self.renderer is not None, "load() first"
        return render(self.renderer, frames)


# ---------------------------------------------------------------------------------------- driver


def _driver_track(settings: ShotSettings) -> TrackFile:
    """The shared analysis: the --track file, or the whole shot analysed once here on the driver."""
    if settings.track:
        return load_track(settings)
    log.info("no --track file: analysing the whole shot on this machine before handing out frames")
    return shot_track(Shot(settings), settings)


def _probe(address: str) -> None:
    """Fail in seconds, with the fix, when nothing listens at HOST:PORT (ray.init would retry for long)."""
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise UsageError(
            f"--address {address!r}: give HOST:PORT of the Ray head (the --port of `ray start --head`)"
        )
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=CONNECT_TIMEOUT_S).close()
    except OSError as exc:
        raise UsageError(
            f"cannot reach the Ray head at {address} ({exc.strerror or exc}); start it with "
            f"`ray start --head --port={port}` on that machine, or fix --address"
        ) from None


def connect(ray: Any, options: ExecutorOptions) -> bool:
    """Join the cluster at --address, or start a private local Ray; True when this call started Ray."""
    if ray.is_initialized():  # a host application already connected this process: use its cluster
        return False
    quiet = {"logging_level": logging.WARNING, "include_dashboard": False}
    address = options.address
    try:
        if address is None:
            cpus = max(os.cpu_count() or 1, options.workers or 0)
            ray.init(address="local", _node_ip_address="127.0.0.1", num_cpus=cpus, **quiet)
        elif address == "auto" or "://" in address:
            ray.init(address=address, logging_level=logging.WARNING)
        else:
            _probe(address)
            host = address.rpartition(":")[0].strip("[]")
            loopback = {"_node_ip_address": "127.0.0.1"} if host in LOOPBACK else {}
            ray.init(address=address, logging_level=logging.WARNING, **loopback)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        where = address or "a local Ray"
        raise UsageError(f"could not start or join {where}: {exc}") from None
    return True


@dataclass
class _Slot:
    """One worker actor and what the driver knows about it."""

    handle: Any
    load_ref: Any
    since: float
    node: str = ""
    pid: int | None = None
    busy: int = 0
    ready: bool = False
    lost: bool = False


@dataclass
class _Tally:
    summaries: list[RenderSummary] = field(default_factory=list)
    per_node: Counter[str] = field(default_factory=Counter)
    retried: int = 0
    reassigned: int = 0
    lost_workers: int = 0


class RayExecutor(Executor):
    """Long-lived actors (one per GPU, or per CPU) render chunks streamed by this driver."""

    name = "ray"

    def __init__(self, options: ExecutorOptions) -> None:
        self.options = options

    def render(
        self,
        settings: ShotSettings,
        track: TrackFile | None = None,
        *,
        frames: Sequence[int | None] | None = None,
    ) -> RenderSummary:
        ray = import_ray()
        wanted = requested_frames(settings) if frames is None else list(frames)
        tf = track if track is not None else _driver_track(settings)
        plan = plan_from_trackfile(tf, settings)
        _, dst = check_output(settings, plan, wanted)  # bad --out or --frames fail before the cluster
        started_ray = connect(ray, self.options)
        try:
            return _Farm(ray, settings, tf, wanted, dst, self.options).run()
        finally:
            if started_ray:
                ray.shutdown()


class _Farm:
    """The driver loop: start workers, stream chunks with backpressure, re-queue lost chunks.

    Each worker of the first batch gets IN_FLIGHT chunks while it is still loading (they run right
    after the load, with no round trip). Chunks held by a worker that has not loaded after RECLAIM_S
    (no free GPU for it, a slow node) go back to the queue once the others run out of work; if
    both copies run, the second finds the frames complete, or writes the same bytes atomically.
    """

    def __init__(
        self,
        ray: Any,
        settings: ShotSettings,
        tf: TrackFile,
        frames: list[int | None],
        dst: FramePattern,
        options: ExecutorOptions,
    ) -> None:
        self.ray, self.dst, self.frames = ray, dst, frames
        size = options.chunk or DEFAULT_CHUNK
        self.chunks = [frames[i : i + size] for i in range(0, len(frames), size)]
        self.gpu = self._use_gpu(settings.device)
        resources = {"num_gpus": 1} if self.gpu else {"num_cpus": 1}
        self.actor = ray.remote(ShotWorker).options(max_restarts=0, max_task_retries=0, **resources)
        # Ray gives each actor its own GPU through CUDA_VISIBLE_DEVICES, so cuda:N means "a GPU" here.
        device = "cuda" if settings.device.startswith("cuda") else settings.device
        self.worker_settings = replace(settings, device=device)
        self.track_ref = ray.put(tf)
        self.workers = min(options.workers or self._slots_in_cluster(), len(self.chunks)) or 1
        self.spares = 2 * self.workers  # replacements for lost workers, so a flapping node cannot loop
        self.slots: list[_Slot] = []
        self.loading: dict[Any, _Slot] = {}
        self.running: dict[Any, tuple[_Slot, int]] = {}
        self.outstanding: Counter[int] = Counter()  # live calls per chunk
        self.reclaimed: set[Any] = set()
        self.queue: deque[int] = deque()
        self.done: set[int] = set()
        self.tally = _Tally()

    def _use_gpu(self, device: str) -> bool:
        """cuda / tensorrt need a GPU per worker; auto takes one when the cluster has any."""
        gpus = self.ray.cluster_resources().get("GPU", 0)
        if device.startswith("cuda") or device == "tensorrt":
            if gpus < 1:
                raise UsageError(
                    f"--device {device}, but the Ray cluster has no GPU; start GPU workers with "
                    "`ray start --address=HEAD:PORT --num-gpus=1`, or use --device cpu"
                )
            return True
        return device == "auto" and gpus >= 1

    def _slots_in_cluster(self) -> int:
        resources = self.ray.cluster_resources()
        return max(1, int(resources.get("GPU" if self.gpu else "CPU", 1)))

    def _start_worker(self) -> None:
        handle = self.actor.remote()
        load_ref = handle.load.remote(self.worker_settings, self.track_ref)
        slot = _Slot(handle, load_ref, time.perf_counter())
        self.slots.append(slot)
        self.loading[load_ref] = slot

    def run(self) -> RenderSummary:
        started = time.perf_counter()
        log.info(
            "ray: %d frame(s) in %d chunk(s) on %d %s worker(s)",
            len(self.frames), len(self.chunks), self.workers, "GPU" if self.gpu else "CPU",
        )  # fmt: skip
        for _ in range(self.workers):
            self._start_worker()
        self.queue.extend(range(len(self.chunks)))
        first_ready: float | None = None
        last_event = time.perf_counter()
        bar = progress(total=len(self.frames), desc="render (ray)", unit="frame")
        try:
            while len(self.done) < len(self.chunks):
                self._reclaim()
                self._dispatch()
                waiting = list(self.running) + list(self.loading)
                if not waiting:
                    raise OutputError(
                        f"every Ray worker was lost; {self._left()} not rendered; "
                        "rerun the same command to resume"
                    )
                ready, _ = self.ray.wait(waiting, num_returns=1, timeout=1.0)
                for ref in ready:
                    last_event = time.perf_counter()
                    if ref in self.loading:
                        if self._loaded(ref) and first_ready is None:
                            first_ready = time.perf_counter() - started
                    else:
                        bar.update(self._finished(ref))
                live = any(slot.ready and not slot.lost for slot in self.slots)
                if not live and time.perf_counter() - last_event > START_TIMEOUT_S:
                    raise UsageError(
                        f"no Ray worker could start in {START_TIMEOUT_S:.0f} s: the cluster has no free "
                        f"{'GPU' if self.gpu else 'CPU'}; check `ray status`, or lower --workers"
                    )
        finally:
            bar.close()
            self._stop_workers()
        return self._summary(time.perf_counter() - started, first_ready)

    def _left(self) -> str:
        todo = [i for i in range(len(self.chunks)) if i not in self.done]
        frames = [f for i in todo for f in self.chunks[i] if f is not None]
        return f"frames {compact_frames(frames)}" if frames else "the frame"

    def _submit(self, slot: _Slot, index: int) -> None:
        self.running[slot.handle.render.remote(self.chunks[index])] = (slot, index)
        self.outstanding[index] += 1
        slot.busy += 1

    def _dispatch(self) -> None:
        """Give each worker chunks until it has IN_FLIGHT (backpressure: the rest wait here).

        A worker still loading gets chunks only while no other worker is ready: at the start (so
        every worker begins as soon as it has loaded), or when all ready ones were lost. A
        replacement that may never find a free GPU does not hold chunks the survivors could render.
        """
        anyone_ready = any(slot.ready and not slot.lost for slot in self.slots)
        for slot in self.slots:
            if slot.lost or (anyone_ready and not slot.ready):
                continue
            while self.queue and slot.busy < IN_FLIGHT:
                index = self.queue.popleft()
                if index not in self.done:
                    self._submit(slot, index)

    def _reclaim(self) -> None:
        """Queue again the chunks held by workers that still have not loaded, once others are idle."""
        idle = any(s.ready and not s.lost and s.busy < IN_FLIGHT for s in self.slots)
        if self.queue or not idle:
            return
        now = time.perf_counter()
        for ref, (slot, index) in list(self.running.items()):
            stuck = not slot.ready and now - slot.since > RECLAIM_S
            if stuck and ref not in self.reclaimed and index not in self.done and index not in self.queue:
                self.reclaimed.add(ref)
                self.queue.append(index)
                self.tally.reassigned += 1

    def _loaded(self, ref: Any) -> bool:
        slot = self.loading.pop(ref)
        try:
            where = self.ray.get(ref)
        except Exception as exc:
            if self._is_lost(exc):
                self._lose(slot, exc)
                return False
            raise self._user_error(exc) from None
        slot.node, slot.pid, slot.ready = where["node"], where["pid"], True
        log.debug("ray: worker pid %s ready on %s (node %s)", slot.pid, where["host"], slot.node)
        return True

    def _finished(self, ref: Any) -> int:
        """Record a finished chunk (returns its frame count for the bar) or re-queue a lost one."""
        slot, index = self.running.pop(ref)
        self.reclaimed.discard(ref)
        slot.busy -= 1
        self.outstanding[index] -= 1
        try:
            summary = self.ray.get(ref)
        except Exception as exc:
            if not self._is_lost(exc):
                if slot.load_ref in self.loading:  # a failed load explains the failed chunk: report that
                    self._loaded(slot.load_ref)
                raise self._user_error(exc) from None
            self._lose(slot, exc)
            self._remove_temp_files(slot, self.chunks[index])
            if index in self.done or index in self.queue or self.outstanding[index] > 0:
                return 0  # another copy of this chunk is queued, running or finished
            self.tally.retried += 1
            if self.tally.retried > MAX_RETRIES_PER_WORKER * self.workers + len(self.chunks):
                raise OutputError(
                    f"Ray workers keep dying ({exc}); {self._left()} not rendered; check the workers' logs"
                ) from None
            self.queue.appendleft(index)
            return 0
        if index in self.done:
            return 0  # a reclaimed chunk that ran twice: the first result counts
        self.done.add(index)
        self.tally.summaries.append(summary)
        self.tally.per_node[slot.node] += summary.written
        return len(self.chunks[index])

    def _is_lost(self, exc: BaseException) -> bool:
        errors = self.ray.exceptions
        lost = (errors.RayActorError, errors.WorkerCrashedError, errors.ObjectLostError, errors.NodeDiedError)
        return isinstance(exc, lost)

    def _user_error(self, exc: BaseException) -> BaseException:
        """A GhostSwap error raised on a worker surfaces as itself (message, exit code)."""
        cause = getattr(exc, "cause", None)
        return cause if isinstance(cause, GhostSwapError) else exc

    def _lose(self, slot: _Slot, exc: BaseException) -> None:
        if slot.lost:
            return
        slot.lost = True
        self.tally.lost_workers += 1
        log.warning(
            "ray: worker pid %s on node %s was lost (%s); its chunks go to the other workers",
            slot.pid, slot.node or "?", type(exc).__name__,
        )  # fmt: skip
        self.ray.kill(slot.handle)
        if self.spares > 0 and len(self.done) < len(self.chunks):
            self.spares -= 1
            self._start_worker()

    def _stop_workers(self) -> None:
        """Kill every actor; chunks still running (reclaimed duplicates) may leave temp files: remove them."""
        for slot in self.slots:
            self.ray.kill(slot.handle)
        for slot, index in self.running.values():
            if slot.pid is None and slot.load_ref in self.loading:
                ready, _ = self.ray.wait([slot.load_ref], timeout=0)
                if ready:
                    with contextlib.suppress(Exception):
                        slot.pid = self.ray.get(slot.load_ref)["pid"]
            self._remove_temp_files(slot, self.chunks[index])

    def _remove_temp_files(self, slot: _Slot, frames: list[int | None]) -> None:
        """A killed worker cannot clean up after itself: delete its half-written temp files."""
        if slot.pid is None:
            return
        for f in frames:
            tmp = temp_path_for(Path(self.dst.path(f)), pid=slot.pid)
            try:
                tmp.unlink(missing_ok=True)
            except OSError as exc:
                log.warning("%s: cannot remove a lost worker's temp file (%s)", tmp, exc.strerror)

    def _summary(self, seconds: float, first_ready: float | None) -> RenderSummary:
        """The chunks' summaries merged, with the driver's wall time and how the farm went."""
        farm = FarmStats(
            executor="ray",
            workers=self.workers,
            chunks=len(self.chunks),
            retried_chunks=self.tally.retried,
            reassigned_chunks=self.tally.reassigned,
            lost_workers=self.tally.lost_workers,
            frames_per_node=dict(self.tally.per_node),
            seconds_to_first_worker=first_ready,
        )
        summary = replace(RenderSummary.merge(self.tally.summaries), seconds=seconds, farm=farm)
        summary.log(f" on {len(self.tally.per_node)} node(s)")
        return summary
