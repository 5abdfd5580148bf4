"""Source photos → GHOST-aligned 224 crops, one person per `--source` group.

A photo without a face is an error naming the file; a photo with several faces uses the most
confident one (GHOST's rule) and says so, since a group photo as source is usually a mistake.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ghost_core.console import log
from ghost_core.errors import InputError
from ghost_core.faces.align import estimate_norm, warp_crop
from ghost_core.faces.trackfile import SourceRecord
from ghost_core.io.source_image import read_source_image


@dataclass(frozen=True)
class SourcePhoto:
    path: Path
    sha256: str
    kps: np.ndarray
    crop: np.ndarray


def load_photo(path: str | Path, detector: object) -> SourcePhoto:
    """Read, detect (highest score wins) and align one photo to GHOST's 224 crop."""
    path = Path(path)
    image = read_source_image(path)
    faces = detector.detect(image)  # type: ignore[attr-defined]
    if not faces:
        raise InputError(f"{path}: no face found in this photo; use a clear, well-lit photo of the face")
    if len(faces) > 1:
        log.warning("%s: %d faces found; using the most confident one", path, len(faces))
    kps = faces[0].kps
    return SourcePhoto(path, SourceRecord.of(path).sha256, kps, warp_crop(image, estimate_norm(kps)))


def load_people(groups: Sequence[Sequence[str | Path]], detector: object) -> list[list[SourcePhoto]]:
    """Every `--source` group (one person, one or more photos) as aligned crops."""
    return [[load_photo(p, detector) for p in group] for group in groups]
