"""The extra matte layers of an output frame (`matte.layers`): occlusion, face regions, expression.

Each layer is built per face in the 224 crop, pasted into the frame with the matte's own
area-filtered warp and combined over faces by maximum, like the final matte, so it is as
chunk-invariant as the matte. Every frame of a render carries the same channels (zero where no
face is), so resume and compositors see one layout for the whole shot.
"""

from __future__ import annotations

import numpy as np

from ghost_core.errors import UsageError
from ghost_core.faces.regions import REGIONS
from ghost_core.matte import Box, paste_matte

LAYERS = ("occlusion", *REGIONS, "expression")  # expression: the plate's kept eyes and inner mouth


def layer_channels(spec: str, prefix: str, matte_name: str) -> dict[str, str]:
    """`--layers` → {layer: channel}: "all", or a comma list of layers, each optionally NAME=CHANNEL."""
    out: dict[str, str] = {}
    for item in (part.strip() for part in spec.split(",")):
        if not item:
            continue
        layer, _, channel = item.partition("=")
        layer = layer.strip()
        names = LAYERS if layer == "all" else (layer,)
        for name in names:
            if name not in LAYERS:
                raise UsageError(f"--layers: unknown layer {name!r}; choose from {', '.join(LAYERS)} or all")
            out[name] = channel.strip() if channel.strip() and layer != "all" else f"{prefix}{name}"
    channels = list(out.values())
    clash = {c for c in channels if channels.count(c) > 1 or c == matte_name}
    if clash:
        raise UsageError(f"--layers: channel {sorted(clash)[0]} is used twice (or is the --matte-name)")
    return out


class FrameLayers:
    """Full-frame layer planes of one output frame, filled face by face."""

    def __init__(self, channels: dict[str, str], height: int, width: int) -> None:
        self.channels = channels
        self.height, self.width = height, width
        self.planes = {name: np.zeros((height, width), np.float32) for name in channels}

    def wanted(self, layer: str) -> bool:
        return layer in self.channels

    def add(self, layer: str, crop: np.ndarray, inverse: np.ndarray, box: Box) -> None:
        """Paste one face's crop-space layer into the frame box and keep the per-pixel maximum."""
        if layer not in self.planes or box[2] == 0 or box[3] == 0:
            return
        x, y, w, h = box
        region = self.planes[layer][y : y + h, x : x + w]
        np.maximum(region, paste_matte(crop, inverse, box), out=region)

    def by_channel(self) -> dict[str, np.ndarray]:
        return {self.channels[name]: plane for name, plane in self.planes.items()}
