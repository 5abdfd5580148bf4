"""One output frame: matte every swapped face from its own landmarks, paste them in linear light.

Each swapped face first takes the plate face's skin colour (`color_match`, on by default); faces
are pasted one after another (a later track lies over an earlier one where they overlap);
all work happens inside the union of their crop footprints, never over the whole frame.
Runs on render's single writer thread, which is the only user of the renderer's landmarker (the
TFLite face mesh is not thread-safe; the morph swapper keeps its own instance).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ghost_core.color_match import match_skin
from ghost_core.composite import paste_face
from ghost_core.faces.align import crop_footprint
from ghost_core.io.exr import Frame
from ghost_core.matte import face_mask

SKIN_MATTE = 0.99  # matte value from which a crop pixel counts as the face's skin for colour match


def compose_frame(
    renderer: Any, plate: Frame, faces: list[tuple[Any, np.ndarray]]
) -> tuple[np.ndarray, np.ndarray, tuple[int, int]]:
    """Returns (new RGB over the union box, full-frame matte, box origin (x, y)) for `write_frame`."""
    height, width = plate.height, plate.width
    boxes = [crop_footprint(job.crop.alignment, height, width) for job, _ in faces]
    x0, y0 = min(b[0] for b in boxes), min(b[1] for b in boxes)
    x1, y1 = max(b[0] + b[2] for b in boxes), max(b[1] + b[3] for b in boxes)
    work = np.array(plate.rgba_source()[y0:y1, x0:x1, :3], np.float32, copy=True)
    matte = np.zeros((height, width), np.float32)
    marks = renderer.landmarker.landmarks(np.stack([swap for _, swap in faces]))
    for (job, swap), landmarks in zip(faces, marks, strict=True):
        crop_matte = face_mask(landmarks, job.task.mask)
        if renderer.settings.color_match > 0:
            skin = (crop_matte >= SKIN_MATTE).astype(np.float32)  # the matte's solid interior
            swap = match_skin(swap, job.crop.seen, skin, renderer.settings.color_match)
        pasted = paste_face(
            work,
            swap,
            job.crop.seen,
            job.crop.alignment,
            crop_matte,
            job.color,
            job.task.gain,
            origin=(x0, y0),
        )
        bx, by, bw, bh = pasted.box
        work[by - y0 : by - y0 + bh, bx - x0 : bx - x0 + bw] = pasted.rgb
        region = matte[by : by + bh, bx : bx + bw]
        np.maximum(region, pasted.matte, out=region)
    return work, matte, (x0, y0)
