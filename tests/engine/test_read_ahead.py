"""Read-ahead (`--read-ahead N`): plates are decoded on a worker thread while the swapper runs,
never more than N batches ahead, and every output pixel is identical to an inline-read render,
whole or in chunks."""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path

import numpy as np
import OpenImageIO as oiio
import pytest

import ghost_core.engine.render as render_module
from ghost_core.engine.render import render, requested_frames
from ghost_core.engine.shot import Shot
from ghost_core.faces.trackfile import TrackFile
from ghost_core.knobs import ShotSettings
from tests.shots import ASSETS

SOURCE = str(ASSETS / "faces" / "elon_musk.jpg")


@pytest.fixture(scope="module")
def tracked(short_plate: str) -> tuple[Shot, ShotSettings, TrackFile]:
    """The 4-frame shot analysed once with the offline swapper (each render below reuses it)."""
    settings = ShotSettings(
        plate=short_plate, sources=[[SOURCE]], swapper="morph", detector="retinaface", landmarker="mesh",
        batch=1, overwrite=True,
    )  # fmt: skip
    shot = Shot(settings)
    return shot, settings, shot.analyse()


def _render(tracked: tuple[Shot, ShotSettings, TrackFile], out: Path, spec: str | None, **knobs: int) -> None:
    shot, base, tf = tracked
    settings = replace(base, out=str(out / "swap.####.exr"), **knobs)
    render(shot.renderer(settings, tf), requested_frames(settings, spec))


def _pixels(folder: Path) -> dict[str, np.ndarray]:
    out = {}
    for path in sorted(folder.glob("swap.*.exr")):
        image = oiio.ImageInput.open(str(path))
        out[path.name] = image.read_image(format=oiio.UNKNOWN)  # the file's own half/float bits
        image.close()
    return out


def test_read_ahead_gives_the_inline_pixels_whole_and_chunked(tracked, tmp_path: Path) -> None:
    _render(tracked, tmp_path / "inline", None, read_ahead=0)
    _render(tracked, tmp_path / "ahead", None, read_ahead=1, batch=2)
    _render(tracked, tmp_path / "deep", None, read_ahead=3)
    _render(tracked, tmp_path / "chunks", "1001-1003", read_ahead=2)
    _render(tracked, tmp_path / "chunks", "1004", read_ahead=1)
    inline = _pixels(tmp_path / "inline")
    assert len(inline) == 4
    assert any(
        image.shape[2] > 4 and image[..., 4].max() > 0.5 for image in inline.values()
    ), "no frame was swapped: the comparison would prove nothing"
    for name in ("ahead", "deep", "chunks"):
        other = _pixels(tmp_path / name)
        assert other.keys() == inline.keys(), name
        for frame, image in inline.items():
            assert image.dtype == other[frame].dtype and np.array_equal(image, other[frame]), (name, frame)


def test_plates_are_read_on_the_worker_at_most_n_batches_ahead(
    tracked, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shot = tracked[0]
    events: list[tuple[str, str]] = []
    lock = threading.Lock()
    read, swap = render_module.read_frame, shot.swapper.swap

    def reading(path: Path):  # the real reader, noting which thread decoded which plate
        with lock:
            events.append(("read", threading.current_thread().name))
        return read(path)

    def swapping(*args, **kwargs):
        with lock:
            events.append(("swap", threading.current_thread().name))
        return swap(*args, **kwargs)

    monkeypatch.setattr(render_module, "read_frame", reading)
    monkeypatch.setattr(shot.swapper, "swap", swapping)
    _render(tracked, tmp_path / "ahead", None, read_ahead=2)
    reads = [t for kind, t in events if kind == "read"]
    assert len(reads) == 4 and all(t.startswith("ghostswap-read") for t in reads), reads
    lead = 0
    for kind, _ in events:  # batch = 1 frame: reads minus swaps is how many batches were held ahead
        lead += 1 if kind == "read" else -1
        assert lead <= 3, events  # the batch being swapped next plus 2 read ahead
    events.clear()
    _render(tracked, tmp_path / "inline", None, read_ahead=0)
    assert {t for kind, t in events if kind == "read"} == {threading.main_thread().name}
