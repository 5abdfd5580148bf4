"""The `auto` and `scrfd` detector choices: GHOST's SCRFD-10G when its pack is installed, else RetinaFace."""

from __future__ import annotations

import logging
from pathlib import Path

from ghost_core.errors import ModelError
from ghost_core.faces.detectors.base import Detector
from ghost_core.faces.detectors.retinaface import RetinaFaceDetector
from ghost_core.faces.detectors.scrfd import ScrfdDetector

# A child of `ghostswap`, so setup_logging's handler and --quiet apply (a module-named logger
# propagated to the unconfigured root logger and its info lines were lost).
log = logging.getLogger("ghostswap.detectors")

SCRFD_PACK = "antelopev2"
SCRFD_FILE = "scrfd_10g_bnkps.onnx"


def official_scrfd_path() -> Path:
    """The SCRFD-10G file of the installed antelopev2 pack; ModelError with the install command if not."""
    from ghost_core.models_store import resolve

    return resolve(SCRFD_PACK) / SCRFD_FILE


def open_scrfd(**kwargs: float) -> ScrfdDetector:
    """GHOST's own detector from the model store (ModelError says how to install it)."""
    return ScrfdDetector(official_scrfd_path(), **kwargs)


def open_auto(**kwargs: float) -> Detector:
    """SCRFD-10G when antelopev2 is installed, else the offline RetinaFace; the log says which."""
    try:
        path = official_scrfd_path()
    except ModelError:
        log.info("face detector: RetinaFace-mnet0.25 (offline; install antelopev2 for GHOST's SCRFD-10G)")
        return RetinaFaceDetector(**kwargs)
    log.info("face detector: SCRFD-10G from %s", path)
    return ScrfdDetector(path, **kwargs)
