"""The per-face warps on a torch device (grid_sample), for renders whose runtime device is CUDA.

Same geometry as the OpenCV path it stands in for: the crop is `cv2.warpAffine` of the frame
into the aligned square (zero or replicated border), the paste-back is `matte.warp_to_box`
(bilinear when the face is enlarged; f× supersampled then f×f block means when it shrinks).
OpenCV puts pixel centres on integer coordinates; grid_sample with align_corners=False puts
them at (2·x + 1) / size − 1 in its [−1, 1] range, which is the conversion below. The results
are not bit-identical to OpenCV's (it rounds sample positions to 1/32 pixel), so a CUDA render
differs from a CPU one within tests/engine/test_torch_warp.py's tolerance; on one device a frame
is still the same whether rendered whole or in chunks, and pixels outside the matte still keep
the plate's bits (the writer copies them wherever the matte is 0). Host arrays go to the GPU
through pinned memory.

Besides the warps, a render's device work goes through this warper too, so the crop stays on the
device from plate to generator input: `model_crop` (footprint → model space with the shot's OCIO
path on torch, engine/torch_colour.py → crop warp; the crop is kept on the device for the ghost
swapper, and a host copy made for landmarks, mattes and colour match), `resize` (the ghost
generator's 224 ↔ 256, swappers/ghost.py) and `paste_change` (composite.paste_face's
`plate + m·warp(lin(swap) − lin(seen))` over the matte's support box).
Untested on a GPU so far: the CUDA tests are in tests/engine/test_torch_warp.py and
tests/engine/test_torch_colour.py, and benchmarks/gpu_check.sh runs them.
"""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import cv2
import numpy as np

from ghost_core.faces import warp_device
from ghost_core.matte import Box, box_matrix, supersample_factor

if TYPE_CHECKING:
    import torch

    from ghost_core.color import ColorPath
    from ghost_core.engine.torch_colour import DeviceColour


class TorchWarper:
    """`warp_device.Warper` on one torch device."""

    def __init__(self, device: torch.device | str) -> None:
        import torch

        self.device = torch.device(device)
        self._colours: dict[int, tuple[ColorPath, DeviceColour]] = {}
        self._lock = threading.Lock()  # the compose thread and the main thread both ask for colours

    def colour(self, path: ColorPath) -> DeviceColour:
        """`path` on this device, built once per colour path (so once per plate space of a shot)."""
        from ghost_core.engine.torch_colour import DeviceColour

        with self._lock:
            entry = self._colours.get(id(path))
            if entry is None or entry[0] is not path:
                entry = (path, DeviceColour(path, self.device))
                self._colours[id(path)] = entry
            return entry[1]

    def upload(self, array: np.ndarray) -> torch.Tensor:
        """A host array on the device as float32 (half plates travel as half: half the bytes)."""
        import torch

        planes = np.ascontiguousarray(
            array if array.dtype in (np.float16, np.float32) else array.astype(np.float32)
        )
        tensor = torch.from_numpy(planes)
        if self.device.type == "cuda":
            tensor = tensor.pin_memory().to(self.device, non_blocking=True)
        return tensor.float()

    def model_crop(
        self, region: np.ndarray, path: ColorPath, gain: float, matrix: np.ndarray, size: int
    ) -> tuple[np.ndarray, torch.Tensor]:
        """`crops.cut_face` on the device: footprint RGB → model space (0..1, NaN → 0) → `size` crop.

        Returns the crop on the host (size×size×3) and on the device (1×3×size×size, for the swapper).
        """
        model = self.colour(path).to_model(self.upload(region), gain)
        source_of = cv2.invertAffineTransform(np.asarray(matrix, np.float64))
        crop = self._sample_tensor(model.permute(2, 0, 1)[None], source_of, size, size, "zeros")
        return _host(crop, 3), crop

    def resize(self, batch: torch.Tensor, size: int) -> torch.Tensor:
        """N×C×S×S → N×C×size×size bilinear, half-pixel centres, no antialias: cv2.INTER_LINEAR's."""
        import torch.nn.functional as functional

        return functional.interpolate(batch, size=(size, size), mode="bilinear", align_corners=False)

    def batch(self, crops: np.ndarray | list[torch.Tensor]) -> torch.Tensor:
        """N×S×S×3 host crops, or 1×3×S×S device crops, as one N×3×S×S device batch."""
        import torch

        if isinstance(crops, np.ndarray):
            return self.upload(crops).permute(0, 3, 1, 2)
        return torch.cat([c.to(self.device) for c in crops])

    def paste_change(
        self,
        plate: np.ndarray,
        weight: np.ndarray,
        swap_crop: np.ndarray,
        seen_crop: np.ndarray,
        inverse: np.ndarray,
        support: Box,
        path: ColorPath,
        gain: float,
    ) -> np.ndarray:
        """`composite.paste_face`'s blend over the matte's support box (plate h×w×3, weight h×w×1).

        plate + m·warp(lin(swap) − lin(seen)), the change clamped so no channel goes below
        min(plate, 0); exactly `plate` where m = 0; where m > 0 and the plate is not finite,
        warp(lin(swap)). Returns h×w×3 float32 on the host.
        """
        import torch

        colour = self.colour(path)
        size = swap_crop.shape[0]
        crops = torch.cat([self.upload(swap_crop), self.upload(seen_crop).clamp(0.0, 1.0)])
        linear = colour.from_model(torch.nan_to_num(crops, nan=0.0, posinf=1.0, neginf=0.0), gain)
        w, h = support[2], support[3]
        base = self.upload(plate)
        m = self.upload(weight).reshape(h, w, 1)
        change = self._box_tensor(linear[:size] - linear[size:], inverse, support)
        mixed = torch.maximum(change * m + base, torch.minimum(base, torch.zeros_like(base)))
        out = torch.where(m > 0, mixed, base)  # matte 0: the plate's bits, whatever the change is
        if not np.isfinite(plate).all():
            broken = (m > 0) & ~torch.isfinite(base).all(-1, keepdim=True)
            out = torch.where(broken, self._box_tensor(linear[:size], inverse, support), out)
        return np.ascontiguousarray(out.cpu().numpy(), np.float32)

    def _box_tensor(self, image: torch.Tensor, inverse: np.ndarray, box: Box) -> torch.Tensor:
        """`warp_to_box` of an H×W×3 device image, as an h×w×3 device tensor."""
        import torch.nn.functional as functional

        w, h = box[2], box[3]
        planes = image.permute(2, 0, 1)[None]
        matrix = box_matrix(inverse, box)
        f = supersample_factor(matrix)
        if f == 1:
            out = self._sample_tensor(planes, cv2.invertAffineTransform(matrix), w, h, "zeros")
        else:
            fine = matrix * f
            fine[:, 2] += (f - 1) / 2.0
            dense = self._sample_tensor(planes, cv2.invertAffineTransform(fine), w * f, h * f, "zeros")
            out = functional.avg_pool2d(dense, f)
        return out[0].permute(1, 2, 0)

    def warp_crop(
        self, image: np.ndarray, matrix: np.ndarray, size: int, border: str = "constant"
    ) -> np.ndarray:
        """`align.warp_crop`: `matrix` maps frame pixels to crop pixels."""
        padding = "border" if border == "replicate" else "zeros"
        source_of = cv2.invertAffineTransform(np.asarray(matrix, np.float64))
        return self._sample(image, source_of, size, size, padding)

    def warp_to_box(self, image: np.ndarray, inverse: np.ndarray, box: Box) -> np.ndarray:
        """`matte.warp_to_box`: the crop image resampled into frame box `box`, zero outside it."""
        import torch.nn.functional as functional

        w, h = box[2], box[3]
        matrix = box_matrix(inverse, box)
        f = supersample_factor(matrix)
        if f == 1:
            return self._sample(image, cv2.invertAffineTransform(matrix), w, h, "zeros")
        fine = matrix * f  # supersample pixel (U, V) has its centre at box ((U + 0.5)/f − 0.5, …)
        fine[:, 2] += (f - 1) / 2.0
        dense = self._sample(image, cv2.invertAffineTransform(fine), w * f, h * f, "zeros", to_host=False)
        return _host(functional.avg_pool2d(dense, f), image.ndim)

    def _sample(
        self,
        image: np.ndarray,
        source_of: np.ndarray,
        width: int,
        height: int,
        padding: str,
        to_host: bool = True,
    ) -> Any:
        """Bilinear samples of `image` at `source_of` (out pixel → image pixel) over a width×height grid."""
        tensor = self.upload(np.asarray(image, np.float32))
        planes = (tensor if tensor.ndim == 3 else tensor[..., None]).permute(2, 0, 1)[None]
        out = self._sample_tensor(planes, source_of, width, height, padding)
        return _host(out, image.ndim) if to_host else out

    def _sample_tensor(
        self, planes: torch.Tensor, source_of: np.ndarray, width: int, height: int, padding: str
    ) -> torch.Tensor:
        """grid_sample of a 1×C×H×W device tensor at `source_of`, as a 1×C×height×width tensor."""
        import torch
        import torch.nn.functional as functional

        in_h, in_w = planes.shape[2:]
        m = torch.as_tensor(np.asarray(source_of, np.float64), device=self.device)
        ys, xs = torch.meshgrid(
            torch.arange(height, dtype=torch.float64, device=self.device),
            torch.arange(width, dtype=torch.float64, device=self.device),
            indexing="ij",
        )
        sx = m[0, 0] * xs + m[0, 1] * ys + m[0, 2]
        sy = m[1, 0] * xs + m[1, 1] * ys + m[1, 2]
        grid = torch.stack(((2 * sx + 1) / in_w - 1, (2 * sy + 1) / in_h - 1), -1)[None].float()
        return functional.grid_sample(
            planes, grid, mode="bilinear", padding_mode=padding, align_corners=False
        )


def _host(batch: Any, ndim: int) -> np.ndarray:
    """1×C×H×W device tensor → H×W×C (or H×W) float32 numpy."""
    out = batch[0].permute(1, 2, 0).cpu().numpy()
    return np.ascontiguousarray(out if ndim == 3 else out[..., 0], np.float32)


def cuda_geometry(device: str) -> torch.device | None:
    """The CUDA device a render's warps should run on for runtime `device`, or None (OpenCV).

    "cpu" never imports torch; "auto" looks for a GPU only where torch is already loaded or
    onnxruntime offers CUDA, so a CPU-only render does not pay for importing torch.
    """
    if device == "cpu":
        return None
    if device == "auto" and "torch" not in sys.modules:
        import onnxruntime as ort

        if "CUDAExecutionProvider" not in ort.get_available_providers():
            return None
    import torch

    if not torch.cuda.is_available():
        return None
    return torch.device(device if device.startswith("cuda") else "cuda")


@contextlib.contextmanager
def warps_on(device: Any) -> Iterator[None]:
    """Within the block the face warps run on torch `device` (None: leave the OpenCV path on)."""
    if device is None:
        yield
        return
    previous = warp_device.install(TorchWarper(device))
    try:
        yield
    finally:
        warp_device.install(previous)
