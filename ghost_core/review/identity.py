"""Identity scores for review notes: how much each swapped face looks like the source person.

A supervisor's first question about a swap is "is it him?". The review answers per frame with the
same recogniser `track` uses (ArcFace when installed, else the offline dlib one), on what the
review shows: faces are found in the swap's display view, those inside the render's matte are
aligned to GHOST's 224 crop, and their embedding is compared (cosine) with the source photos'
mean embedding. The plate's face at the same place is scored too, so the note reads as a before
and after ("0.95 to the source; the plate's face 0.58"). The recogniser's own match threshold is
given with it; the numbers rank frames, they do not prove identity.

Source photos are given to `review --source` (or come from a job file). Each must be one the
shot was rendered from: its sha256 is checked against the frames' `ghost:source_sha256`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ghost_core.console import log
from ghost_core.errors import InputError
from ghost_core.faces.align import estimate_norm, warp_crop
from ghost_core.faces.recognition import IdentityModel, open_identity

MATTE_INSIDE = 0.5  # a detection counts as swapped where the matte under its key points is above this


@dataclass(frozen=True)
class FaceScore:
    """One swapped face on one frame: cosine to the source, and the plate's face to the source."""

    to_source: float
    plate_to_source: float

    def to_dict(self) -> dict[str, float]:
        return {"to_source": round(self.to_source, 4), "plate_to_source": round(self.plate_to_source, 4)}


class IdentityCheck:
    """Scores swapped faces against one source person with one recogniser and one detector."""

    def __init__(
        self, model: IdentityModel, detector: Any, source: np.ndarray, photos: Sequence[Path]
    ) -> None:
        self.model, self.detector = model, detector
        self.source = source / max(float(np.linalg.norm(source)), 1e-12)
        self.photos = tuple(photos)

    @classmethod
    def open(cls, photos: Sequence[str | Path], rendered_from: Sequence[str]) -> IdentityCheck | None:
        """The check for these photos, or None (logged) when no recogniser is installed."""
        from ghost_core.engine.sources import load_photo
        from ghost_core.faces.detectors import open_detector

        if not photos:
            return None
        model = open_identity()
        if model is None:
            log.warning("review: no identity model installed; frames get no identity score")
            return None
        detector = open_detector("auto")
        loaded = [load_photo(p, detector) for p in photos]
        known = set(rendered_from)
        for photo in loaded:
            if known and photo.sha256 not in known:
                raise InputError(
                    f"{photo.path}: this photo is not one the shot was rendered from (its sha256 is not "
                    "in the frames' ghost:source_sha256); give the render's own source photos"
                )
        crops = np.stack([p.crop for p in loaded]).astype(np.float32)
        source = model.embed(crops).mean(axis=0)
        return cls(model, detector, source, [p.path for p in loaded])

    def describe(self) -> dict[str, Any]:
        return {
            **self.model.describe(),
            "photos": [str(p) for p in self.photos],
            "meaning": "cosine of the swapped face to the source photos; match at >= target_threshold",
        }

    def score(self, swap_view: np.ndarray, plate_view: np.ndarray, matte: np.ndarray) -> list[FaceScore]:
        """Every face found in the swap whose key points sit inside the matte, left to right."""
        swap = np.ascontiguousarray(np.clip(swap_view[..., :3], 0.0, 1.0), np.float32)
        plate = np.ascontiguousarray(np.clip(plate_view[..., :3], 0.0, 1.0), np.float32)
        height, width = matte.shape[:2]
        chosen = []
        for face in self.detector.detect(swap):
            points = np.clip(np.round(face.kps).astype(int), 0, [width - 1, height - 1])
            if float(np.median(matte[points[:, 1], points[:, 0]])) > MATTE_INSIDE:
                chosen.append(face)
        chosen.sort(key=lambda f: float(f.kps[:, 0].mean()))
        if not chosen:
            return []
        alignments = [estimate_norm(face.kps) for face in chosen]
        crops = [warp_crop(image, a) for a in alignments for image in (swap, plate)]
        rows = self.model.embed(np.stack(crops).astype(np.float32)) @ self.source
        return [FaceScore(float(rows[2 * i]), float(rows[2 * i + 1])) for i in range(len(chosen))]


def note(scores: Sequence[FaceScore], model: IdentityModel) -> str | None:
    """The flipbook's line for one frame's scores."""
    if not scores:
        return None
    parts = [f"{s.to_source:.3f} to the source (plate's face {s.plate_to_source:.3f})" for s in scores]
    return f"identity ({model.name}, match >= {model.target_threshold:.2f}): " + "; ".join(parts)
