"""What a run leaves to look at: a JSON-lines scalar log (always), TensorBoard events (when the
`tensorboard` package is installed: `pip install ghostswap[train]`) and preview grids (PNG)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import OpenImageIO as oiio
import torch

from ghost_core.console import log
from ghost_core.errors import OutputError
from ghost_core.io.atomic import atomic_output

SCALAR_LOG = "scalars.jsonl"
PREVIEW_ROWS = 6


def _tensorboard_writer(folder: Path) -> Any | None:
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:  # torch raises ImportError when the tensorboard package is absent
        log.debug("tensorboard not installed; scalars go to %s only", SCALAR_LOG)
        return None
    return SummaryWriter(str(folder))


class Monitor:
    def __init__(self, out: Path, tensorboard: bool = True) -> None:
        self.out = out
        self.log_path = out / SCALAR_LOG
        self.preview_dir = out / "previews"
        self.tb = _tensorboard_writer(out / "tensorboard") if tensorboard else None

    def scalars(self, step: int, values: dict[str, float]) -> None:
        record = {"step": step, "time": round(time.time(), 3), **values}
        with open(self.log_path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(record) + "\n")
        if self.tb is not None:
            for key, value in values.items():
                self.tb.add_scalar(f"train/{key}", value, step)

    def preview(self, step: int, batch: dict[str, torch.Tensor], swapped: torch.Tensor) -> Path:
        """Columns Xs | Xt | Y for the first samples, as a 16-bit PNG (a preview, not a deliverable)."""
        n = min(PREVIEW_ROWS, swapped.shape[0])
        tiles = [batch["xs"][:n].cpu(), batch["xt"][:n].cpu(), swapped[:n].detach().float().cpu()]
        grid = torch.cat([torch.cat(list(t), dim=1) for t in tiles], dim=2)  # 3×(n·256)×(3·256)
        rgb = ((grid.clamp(-1, 1) + 1) * 0.5).permute(1, 2, 0).numpy().astype(np.float32)
        self.preview_dir.mkdir(parents=True, exist_ok=True)
        path = self.preview_dir / f"step_{step:07d}.png"
        write_png16(path, rgb)
        if self.tb is not None:
            self.tb.add_image("train/preview", rgb, step, dataformats="HWC")
        return path

    def close(self) -> None:
        if self.tb is not None:
            self.tb.close()


def write_png16(path: Path, rgb: np.ndarray) -> None:
    spec = oiio.ImageSpec(rgb.shape[1], rgb.shape[0], 3, oiio.UINT16)
    with atomic_output(path) as tmp:
        out = oiio.ImageOutput.create(str(tmp))
        if out is None or not out.open(str(tmp), spec) or not out.write_image(np.ascontiguousarray(rgb)):
            raise OutputError(f"cannot write {path}: {oiio.geterror()}; check the run folder and free space")
        out.close()
