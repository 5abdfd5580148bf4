"""The `ghost` swapper: AEI-Net through the runtime, batched across frames, optional GHOST enhancer."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ghost_core.faces import warp_device
from ghost_core.faces.align import CROP_SIZE, GENERATOR_SIZE, resize_linear
from ghost_core.faces.identity import ArcFaceEncoder, to_network
from ghost_core.runtime.backends import Backend
from ghost_core.swappers.base import Swapper
from ghost_core.swappers.boost import interleave, phase_tiles

if TYPE_CHECKING:
    from ghost_core.knobs import ShotSettings


class GhostSwapper(Swapper):
    """G(target, z_id): 224 crop → 256 → generator (→ enhancer) → back to 224 (GHOST_REFERENCE §3.7-3.9)."""

    name = "ghost"
    boosts = True
    device_crops = True  # `swap` takes the device batch of a CUDA render's crops (engine/boost.py)

    def __init__(
        self,
        generator: Backend,
        arcface: ArcFaceEncoder,
        enhancer: Backend | None = None,
        generator_sha256: str | None = None,
    ) -> None:
        self.generator = generator
        self.arcface = arcface
        self.enhancer = enhancer
        self.generator_sha256 = generator_sha256

    @classmethod
    def open(
        cls, model: str | None = None, *, enhance: bool = False, precision: str = "fp32", **options: Any
    ) -> GhostSwapper:
        """`precision` is the generator's only: ArcFace and the enhancer stay as the runtime picks."""
        from ghost_core.models_store import file_sha256, load_manifest
        from ghost_core.runtime.loader import open_model

        # "fp32" leaves the runtime's choice (fp32 on the CPU, fp16 on a GPU), so it is today's path.
        generator = open_model(
            model, kind="generator", precision="auto" if precision == "fp32" else precision, **options
        )
        enhancer = open_model(None, kind="enhancer", **options) if enhance else None
        manifest = load_manifest()
        asset = manifest.get(model) if model else manifest.default("generator")
        return cls(generator, ArcFaceEncoder.open(None, **options), enhancer, file_sha256(asset.name))

    @classmethod
    def from_settings(cls, settings: ShotSettings) -> GhostSwapper:
        """The `ghost` registry entry: generator, enhancer and runtime choices from the shot."""
        return cls.open(
            settings.model,
            enhance=settings.enhance,
            backend=settings.backend,
            device=settings.device,
            precision=settings.precision,
            max_batch=max(1, settings.batch),
        )

    def prepare(self, photos: Sequence[np.ndarray]) -> np.ndarray:
        return self.arcface.identity(photos)

    def swap(self, crops: Any, identity: np.ndarray) -> np.ndarray:
        """N×224×224×3 crops → N×224 swaps; in a CUDA render (a device warper installed) the resizes
        and the generator's input stay on the device, and `crops` may be its N×3×224×224 batch."""
        if (gpu := warp_device.active()) is not None and len(crops) > 0:
            return self._swap_on_device(gpu, crops, identity)
        crops = np.asarray(crops, np.float32)
        if len(crops) == 0:
            return crops.copy()
        out = self._generate(np.stack([resize_linear(c, GENERATOR_SIZE) for c in crops]), identity)
        return np.stack([resize_linear(o, CROP_SIZE) for o in out]).clip(0.0, 1.0)

    def swap_detail(self, crops: np.ndarray, identity: np.ndarray) -> np.ndarray:
        """N×512×512×3 crops → N×512 swaps: the generator on each crop's 2×2 sub-pixel phases, interleaved."""
        crops = np.asarray(crops, np.float32)
        if len(crops) == 0:
            return crops.copy()
        return interleave(self._generate(phase_tiles(crops), identity))

    def _generate(self, big: np.ndarray, identity: np.ndarray) -> np.ndarray:
        """N×256×256×3 model-space crops → N×256×256×3 swaps in 0..1 (generator, then the enhancer)."""
        z_id = np.repeat(np.asarray(identity, np.float32)[None], len(big), axis=0)
        out = np.asarray(self.generator(to_network(big), z_id), np.float32) * 0.5 + 0.5
        if self.enhancer is not None:
            # GHOST clamps the enhancer's output to 0..1 (its ×255 clamp to uint8, §3.8).
            out = np.asarray(self.enhancer(np.clip(out, 0.0, 1.0)), np.float32)
        return np.ascontiguousarray(np.clip(out, 0.0, 1.0).transpose(0, 2, 3, 1))

    def _swap_on_device(self, gpu: Any, crops: Any, identity: np.ndarray) -> np.ndarray:
        """`swap` with 224 → 256 → generator (→ enhancer) → 224 on the warper's device, one download.

        Same steps as the host path; the resizes are torch's bilinear (cv2.INTER_LINEAR's formula).
        """
        import torch

        if isinstance(crops, torch.Tensor):
            batch = crops.to(gpu.device)
        else:  # host crops (e.g. the temporal filter's pre-roll): the same device path, after one upload
            batch = gpu.batch(np.asarray(crops, np.float32))
        big = gpu.resize(batch, GENERATOR_SIZE).clamp(0.0, 1.0)  # to_network's clip, then [-1, 1]
        z_id = torch.from_numpy(np.asarray(identity, np.float32)).to(big.device).expand(len(big), -1)
        out = self.generator.call_tensors((big - 0.5) / 0.5, z_id.contiguous()) * 0.5 + 0.5
        if self.enhancer is not None:
            out = self.enhancer.call_tensors(out.clamp(0.0, 1.0))
        small = gpu.resize(out.clamp(0.0, 1.0), CROP_SIZE).clamp(0.0, 1.0)
        return np.ascontiguousarray(small.permute(0, 2, 3, 1).cpu().numpy(), np.float32)

    def describe(self) -> dict[str, Any]:
        info = {"swapper": self.name, "generator": self.generator.describe()}
        if self.enhancer is not None:
            info["enhancer"] = self.enhancer.describe()
        return info

    def model_sha256(self) -> str | None:
        return self.generator_sha256
