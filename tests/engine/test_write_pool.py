"""Encode pool (`--write-workers N`): output EXRs are encoded on N threads, byte-for-byte the files of
one worker, whole or chunked; a failing write stops the render with an OutputError and a rerun
resumes to the same files; the queue of waiting encodes is bounded."""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import OpenImageIO as oiio
import pytest

import ghost_core.engine.render as render_module
from ghost_core.engine.render import render, requested_frames
from ghost_core.engine.shot import Shot
from ghost_core.engine.write_pool import WritePool, auto_workers
from ghost_core.errors import OutputError
from ghost_core.faces.trackfile import TrackFile
from ghost_core.knobs import ShotSettings
from tests.shots import ASSETS

SOURCE = str(ASSETS / "faces" / "elon_musk.jpg")


@pytest.fixture(scope="module")
def tracked(short_plate: str) -> tuple[Shot, ShotSettings, TrackFile]:
    """The 4-frame shot analysed once with the offline swapper (each render below reuses it)."""
    settings = ShotSettings(
        plate=short_plate, sources=[[SOURCE]], swapper="morph", detector="retinaface", landmarker="mesh",
        batch=2, overwrite=True,
    )  # fmt: skip
    shot = Shot(settings)
    return shot, settings, shot.analyse()


def _render(tracked, out: Path, spec: str | None = None, **knobs: object):
    shot, base, tf = tracked
    settings = replace(base, out=str(out / "swap.####.exr"), **knobs)
    return render(shot.renderer(settings, tf), requested_frames(settings, spec))


def _pixels(folder: Path) -> dict[str, np.ndarray]:
    out = {}
    for path in sorted(folder.glob("swap.*.exr")):
        image = oiio.ImageInput.open(str(path))
        out[path.name] = image.read_image(format=oiio.UNKNOWN)  # the file's own half/float bits
        image.close()
    return out


def _same(a: dict[str, np.ndarray], b: dict[str, np.ndarray], name: str) -> None:
    assert a.keys() == b.keys(), name
    for frame, image in a.items():
        assert image.dtype == b[frame].dtype and np.array_equal(image, b[frame]), (name, frame)


def test_pool_files_equal_one_worker_whole_and_chunked(tracked, tmp_path: Path, monkeypatch) -> None:
    threads: set[str] = set()
    write = render_module.write_frame

    def noting(*args, **kwargs):  # the real writer, noting which thread encoded
        threads.add(threading.current_thread().name)
        return write(*args, **kwargs)

    monkeypatch.setattr(render_module, "write_frame", noting)
    one = _render(tracked, tmp_path / "one", write_workers=1)
    assert threads == {"ghostswap-write_0"}, threads  # one worker: encoded on the compose thread
    threads.clear()
    pool = _render(tracked, tmp_path / "pool", write_workers=3, batch=4)
    assert threads and all(t.startswith("ghostswap-encode") for t in threads), threads
    _render(tracked, tmp_path / "chunks", "1001-1003", write_workers=2, batch=3)
    _render(tracked, tmp_path / "chunks", "1004", write_workers=4)
    reference = _pixels(tmp_path / "one")
    assert len(reference) == 4 and one.written == pool.written == 4
    assert any(image.shape[2] > 4 and image[..., 4].max() > 0.5 for image in reference.values()), (
        "no frame was swapped: the comparison would prove nothing"
    )
    assert (one.faces_replaced, one.frames_without_face) == (pool.faces_replaced, pool.frames_without_face)
    for name in ("pool", "chunks"):
        _same(reference, _pixels(tmp_path / name), name)


def test_failed_encode_stops_the_render_and_a_rerun_resumes(tracked, tmp_path: Path, monkeypatch) -> None:
    write = render_module.write_frame

    def failing(path, *args, **kwargs):
        if Path(path).name == "swap.1002.exr":
            raise OSError(28, "No space left on device")
        return write(path, *args, **kwargs)

    monkeypatch.setattr(render_module, "write_frame", failing)
    with pytest.raises(OutputError, match=r"swap\.1002\.exr: writing the frame failed.*No space left"):
        _render(tracked, tmp_path / "out", write_workers=3, batch=4)
    out = tmp_path / "out"
    assert not (out / "swap.1002.exr").exists()
    assert not list(out.glob(".*.tmp*")), "a temporary file was left behind"
    monkeypatch.setattr(render_module, "write_frame", write)
    resumed = _render(tracked, out, write_workers=3, batch=4, overwrite=False)
    assert resumed.written == 1 and resumed.skipped_complete == 3
    _render(tracked, tmp_path / "ref", write_workers=1)
    _same(_pixels(tmp_path / "ref"), _pixels(out), "resumed")


def test_waiting_encodes_are_bounded() -> None:
    gate, held = threading.Event(), []
    lock = threading.Lock()

    def slow_write(index: int) -> None:
        gate.wait(5)
        with lock:
            held.append(index)

    queued = []

    def job(run) -> None:  # one frame job writing ten files
        for i in range(10):
            run(slow_write, i)
            queued.append(i)

    with WritePool(2, queue=3) as pool:
        frame = pool.submit(job)
        time.sleep(0.3)
        assert len(queued) == 3, queued  # the compose thread waits for a free slot
        gate.set()
        frame.result()
    assert sorted(held) == list(range(10))


def test_auto_workers_follow_the_cores() -> None:
    assert auto_workers(3) == 3
    assert 1 <= auto_workers(0) <= 4
    with pytest.raises(ValueError):
        auto_workers(-1)
