"""What compose needs beyond GHOST's hull: occlusion, region layers and the holdout, per frame.

Kept apart from compose.py so the composite loop stays one readable pass. The final matte of a
face is `hull matte × (1 − occlusion) × (1 − expression)` in the crop (exactly 0 on a detected
occluder and, with `matte.keep_expression`, inside the plate's own eye openings and inner mouth),
then the holdout is subtracted in the frame (`paste_face`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ghost_core.engine.layers import FrameLayers, layer_channels
from ghost_core.faces.align import crop_footprint
from ghost_core.faces.regions import REGIONS, expression_holdout, region_masks
from ghost_core.faces.types import Landmarks
from ghost_core.holdout import read_holdout
from ghost_core.io.exr import Frame
from ghost_core.occlusion import estimate, guarded, with_parser

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


def expression_mode(renderer: Renderer) -> str:
    """`matte.keep_expression` resolved to on, lips or off: auto keeps it for morph, which warps the
    source photo's own lips and eyes over the target's (an open mouth comes out shut), not for GHOST,
    whose AEI-Net already carries the target's expression."""
    value = renderer.settings.keep_expression
    if value == "auto":
        return "on" if renderer.swapper.name == "morph" else "off"
    return value


def detail_strength(renderer: Renderer) -> float:
    """`detail.match` resolved: not given, it is 1 for morph, whose warped source photo is sharper
    than a plate's face (docs/temporal.md), and 0 for GHOST, whose generator paints at 256 px and
    was not measured to gain from it (with random weights it only thins the finest band)."""
    value = renderer.settings.detail_match
    if value is not None:
        return float(value)
    return 1.0 if renderer.swapper.name == "morph" else 0.0


def skin_weight(renderer: Renderer, landmarks: Landmarks, crop_matte: np.ndarray) -> np.ndarray | None:
    """Where the detail match measures (224 crop): the skin region inside the final matte; None when off."""
    if detail_strength(renderer) <= 0.0:
        return None
    return region_masks(landmarks, crop_matte.shape[0])["skin"] * crop_matte


def shape_matte(
    renderer: Renderer, job: Any, landmarks: Landmarks, crop_matte: np.ndarray, layers: FrameLayers, size: int
) -> np.ndarray:
    """The face's crop matte with occluders taken out; fills the wanted layers on the way."""
    alignment = job.crop.alignment
    box = crop_footprint(alignment, layers.height, layers.width)
    occlusion = None
    plate_marks: list[Landmarks] = []  # the plate crop's own landmarks, found once when needed

    def plate_landmarks() -> Landmarks:
        if not plate_marks:
            plate_marks.append(renderer.landmarker.landmarks(job.crop.seen[None])[0])
        return plate_marks[0]

    if renderer.settings.occlusion != "off" or layers.wanted("occlusion"):
        appearance = renderer.appearances.get(renderer, job.task.track_id)
        if appearance is not None:
            occlusion = estimate(appearance, job.crop.seen, plate_landmarks())
        occlusion = with_parser(occlusion, job.crop.seen, crop_matte)
        if occlusion is not None:
            layers.add("occlusion", occlusion, alignment.inverse, box)
    if occlusion is not None and renderer.settings.occlusion != "off":
        crop_matte = crop_matte * (1.0 - guarded(occlusion))
    keep = expression_mode(renderer)
    if keep != "off" or layers.wanted("expression"):
        kept = expression_holdout(plate_landmarks(), size, lips=keep == "lips")
        layers.add("expression", kept, alignment.inverse, box)
        if keep != "off":
            crop_matte = crop_matte * (1.0 - kept)
    if any(layers.wanted(name) for name in REGIONS):
        visible = 1.0 if occlusion is None else 1.0 - occlusion
        for name, mask in region_masks(landmarks, size).items():
            layers.add(name, mask * visible, alignment.inverse, box)
    return crop_matte
