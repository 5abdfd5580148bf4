"""Seam metric: the plate against itself scores about 0; a face of another colour scores its jump."""

from __future__ import annotations

import numpy as np
import pytest

from ghost_core.evaluation.colour import srgb_to_lab
from ghost_core.evaluation.seam import seam_de


def _scene() -> tuple[np.ndarray, np.ndarray]:
    yy, xx = np.indices((200, 200))
    r = np.hypot(yy - 100, xx - 100)
    matte = np.clip((60 - r) / 12, 0, 1).astype(np.float32)
    matte[90:100, 80:90] = 0.0  # a kept eye: a hole whose edge is not the face's edge
    t = (xx / 200.0)[..., None]
    plate = np.array([0.85, 0.62, 0.5]) * (1 - 0.3 * t)  # skin with a light gradient
    return plate, matte


def test_plate_against_itself_is_near_zero_and_a_jump_is_measured() -> None:
    plate, matte = _scene()
    lab = srgb_to_lab(plate)
    own = seam_de(lab, lab, matte)
    assert own["sectors"] >= 12 and own["seam"] == pytest.approx(own["seam_plate"]) and own["seam"] < 0.5
    out = np.where(matte[..., None] >= 0.5, plate * np.array([0.8, 0.85, 0.95]), plate)
    jump = seam_de(lab, srgb_to_lab(out), matte)
    assert jump["seam"] > 5.0 > own["seam"]


def test_shapes_must_agree() -> None:
    plate, matte = _scene()
    with pytest.raises(ValueError, match="seam"):
        seam_de(srgb_to_lab(plate), srgb_to_lab(plate), matte[:10])
