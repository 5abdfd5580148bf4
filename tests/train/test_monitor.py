"""Scalar logs (JSON lines always, TensorBoard when installed) and 16-bit preview grids."""

from __future__ import annotations

import json
from pathlib import Path

import OpenImageIO as oiio
import pytest
import torch

from ghost_core.train.monitor import Monitor


@pytest.mark.parametrize("tensorboard", [False, True])
def test_scalars_and_preview(tmp_path: Path, tensorboard: bool) -> None:
    if tensorboard:
        pytest.importorskip("tensorboard")  # the `train` extra
    monitor = Monitor(tmp_path, tensorboard=tensorboard)
    monitor.scalars(10, {"loss_g": 1.5, "id": 0.25})
    monitor.scalars(20, {"loss_g": 1.25, "id": 0.2})
    batch = {"xs": torch.full((2, 3, 256, 256), -1.0), "xt": torch.zeros(2, 3, 256, 256)}
    path = monitor.preview(20, batch, torch.ones(2, 3, 256, 256))
    monitor.close()
    rows = [json.loads(line) for line in (tmp_path / "scalars.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == [10, 20] and rows[1]["id"] == 0.2
    spec = oiio.ImageInput.open(str(path)).spec()
    assert (spec.width, spec.height, spec.format) == (3 * 256, 2 * 256, oiio.TypeDesc(oiio.UINT16))
    pixels = oiio.ImageBuf(str(path)).get_pixels(oiio.FLOAT)
    assert pixels[0, 0, 0] == 0.0 and pixels[0, 300, 0] == pytest.approx(0.5, abs=1e-4)
    assert pixels[0, 600, 0] == 1.0
    events = list((tmp_path / "tensorboard").glob("events.out.tfevents.*"))
    assert bool(events) == tensorboard
