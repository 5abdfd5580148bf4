"""What compose needs beyond GHOST's hull: occlusion, region layers and the holdout, per frame.

Kept apart from compose.py so the composite loop stays one readable pass. The final matte of a
face is `hull matte × (1 − occlusion)` in the crop (exactly 0 on a detected occluder), then the
holdout is subtracted in the frame (`paste_face`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ghost_core.engine.layers import FrameLayers, layer_channels
from ghost_core.faces.align import crop_footprint
from ghost_core.faces.regions import REGIONS, region_masks
from ghost_core.faces.types import Landmarks
from ghost_core.holdout import read_holdout
from ghost_core.io.exr import Frame
from ghost_core.occlusion import estimate, with_parser

if TYPE_CHECKING:
    from ghost_core.engine.render import Renderer


def channels(renderer: Renderer) -> dict[str, str]:
    s = renderer.settings
    return layer_channels(s.layers, s.layer_prefix, s.matte_name)


def frame_layers(renderer: Renderer, plate: Frame) -> FrameLayers:
    return FrameLayers(channels(renderer), plate.height, plate.width)


def frame_holdout(renderer: Renderer, plate: Frame, frame: int | None) -> np.ndarray | None:
    spec = renderer.settings.holdout
    return read_holdout(spec, plate, frame) if spec else None


def shape_matte(
    renderer: Renderer, job: Any, landmarks: Landmarks, crop_matte: np.ndarray, layers: FrameLayers, size: int
) -> np.ndarray:
    """The face's crop matte with occluders taken out; fills the wanted layers on the way."""
    alignment = job.crop.alignment
    box = crop_footprint(alignment, layers.height, layers.width)
    occlusion = None
    if renderer.settings.occlusion != "off" or layers.wanted("occlusion"):
        appearance = renderer.appearances.get(renderer, job.task.track_id)
        if appearance is not None:
            marks = renderer.landmarker.landmarks(job.crop.seen[None])[0]
            occlusion = estimate(appearance, job.crop.seen, marks)
        occlusion = with_parser(occlusion, job.crop.seen, crop_matte)
        if occlusion is not None:
            layers.add("occlusion", occlusion, alignment.inverse, box)
    if occlusion is not None and renderer.settings.occlusion != "off":
        crop_matte = crop_matte * (1.0 - occlusion)
    if any(layers.wanted(name) for name in REGIONS):
        visible = 1.0 if occlusion is None else 1.0 - occlusion
        for name, mask in region_masks(landmarks, size).items():
            layers.add(name, mask * visible, alignment.inverse, box)
    return crop_matte
