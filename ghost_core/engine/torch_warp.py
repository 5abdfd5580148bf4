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
through pinned memory. Colour conversion, the generator's resize and the blend stay on the CPU.
Untested on a GPU so far: the CUDA tests are in tests/engine/test_torch_warp.py and
benchmarks/gpu_check.sh runs them.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import cv2
import numpy as np

from ghost_core.faces import warp_device
from ghost_core.matte import Box, box_matrix, supersample_factor

if TYPE_CHECKING:
    import torch


class TorchWarper:
    """`warp_device.Warper` on one torch device."""

    def __init__(self, device: torch.device | str) -> None:
        import torch

        self.device = torch.device(device)

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
        import torch
        import torch.nn.functional as functional

        planes = np.ascontiguousarray(image, np.float32)
        tensor = torch.from_numpy(planes if planes.ndim == 3 else planes[..., None])
        if self.device.type == "cuda":
            tensor = tensor.pin_memory().to(self.device, non_blocking=True)
        tensor = tensor.permute(2, 0, 1)[None]
        in_h, in_w = planes.shape[:2]
        m = torch.as_tensor(np.asarray(source_of, np.float64), device=self.device)
        ys, xs = torch.meshgrid(
            torch.arange(height, dtype=torch.float64, device=self.device),
            torch.arange(width, dtype=torch.float64, device=self.device),
            indexing="ij",
        )
        sx = m[0, 0] * xs + m[0, 1] * ys + m[0, 2]
        sy = m[1, 0] * xs + m[1, 1] * ys + m[1, 2]
        grid = torch.stack(((2 * sx + 1) / in_w - 1, (2 * sy + 1) / in_h - 1), -1)[None].float()
        out = functional.grid_sample(tensor, grid, mode="bilinear", padding_mode=padding, align_corners=False)
        return _host(out, image.ndim) if to_host else out


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
