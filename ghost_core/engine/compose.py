"""One output frame: matte every swapped face from its own landmarks, paste them in linear light.

Each swapped face first takes the plate face's skin colour (`color_match`, on by default;
`color_mode` global or local, color_local.py), then its fine detail is matched to the plate
face's (`detail_match`, detail_match.py: band energies on the skin, so a too-sharp swap is
softened); faces are pasted one after another (a later track lies over an earlier one where they
overlap);
all work happens inside the union of their crop footprints, never over the whole frame.
Runs on render's single writer thread, which is the only user of the renderer's landmarker (the
TFLite face mesh is not thread-safe; the morph swapper keeps its own instance).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ghost_core.color_local import match_colour
from ghost_core.composite import paste_face
from ghost_core.detail_match import match_detail
from ghost_core.engine import boost, mattes
from ghost_core.faces.align import crop_footprint
from ghost_core.io.exr import Frame
from ghost_core.matte import face_mask


def compose_frame(
    renderer: Any, plate: Frame, faces: list[tuple[Any, np.ndarray]], frame: int | None = None
) -> tuple[np.ndarray, np.ndarray, tuple[int, int], dict[str, np.ndarray]]:
    """(new RGB over the union box, full-frame matte, box origin (x, y), extra layers) for `write_frame`.

    `frame` is the plate's frame number, for a holdout sequence.
    """
    height, width = plate.height, plate.width
    boxes = [crop_footprint(boost.paste_crop(job.crop, swap).alignment, height, width) for job, swap in faces]
    x0, y0 = min(b[0] for b in boxes), min(b[1] for b in boxes)
    x1, y1 = max(b[0] + b[2] for b in boxes), max(b[1] + b[3] for b in boxes)
    work = np.array(plate.rgba_source()[y0:y1, x0:x1, :3], np.float32, copy=True)
    matte = np.zeros((height, width), np.float32)
    layers = mattes.frame_layers(renderer, plate)
    holdout = mattes.frame_holdout(renderer, plate, frame)
    views = [boost.crop_view(swap) for _, swap in faces]  # 224 for landmarks and mattes
    marks = renderer.landmarker.landmarks(np.stack(views))
    for (job, swap), view, landmarks in zip(faces, views, marks, strict=True):
        crop_matte = face_mask(landmarks, job.task.mask)
        crop_matte = mattes.shape_matte(renderer, job, landmarks, crop_matte, layers, view.shape[0])
        crop = boost.paste_crop(job.crop, swap)  # a boosted face pastes its 512 pixels
        skin = mattes.skin_weight(renderer, landmarks, crop_matte)
        crop_matte = boost.matte_at(crop_matte, crop.seen.shape[0])
        settings = renderer.settings
        swap = match_colour(settings.color_mode, settings.color_match, swap, crop.seen, crop_matte)
        if skin is not None:
            skin = boost.matte_at(skin, crop.seen.shape[0])
            strength = mattes.detail_strength(renderer)
            swap = match_detail(swap, crop.seen, skin, strength, settings.detail_max_gain)
        pasted = paste_face(
            work,
            swap,
            crop.seen,
            crop.alignment,
            crop_matte,
            job.color,
            job.task.gain,
            origin=(x0, y0),
            holdout=None if holdout is None else holdout[y0:y1, x0:x1],
        )
        bx, by, bw, bh = pasted.box
        work[by - y0 : by - y0 + bh, bx - x0 : bx - x0 + bw] = pasted.rgb
        region = matte[by : by + bh, bx : bx + bw]
        np.maximum(region, pasted.matte, out=region)
    return work, matte, (x0, y0), layers.by_channel()
