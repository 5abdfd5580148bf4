"""Choosing a detector by name: GHOST's SCRFD-10G when its pack is installed, else offline RetinaFace."""

from __future__ import annotations

import logging
from pathlib import Path

from ghost_core.errors import ModelError, UsageError
from ghost_core.faces.detectors.base import Detector
from ghost_core.faces.detectors.retinaface import RetinaFaceDetector
from ghost_core.faces.detectors.scrfd import ScrfdDetector

# A child of `ghostswap`, so setup_logging's handler and --quiet apply (a module-named logger
# propagated to the unconfigured root logger and its info lines were lost).
log = logging.getLogger("ghostswap.detectors")

NAMES = ("auto", "scrfd", "retinaface")
SCRFD_PACK = "antelopev2"
SCRFD_FILE = "scrfd_10g_bnkps.onnx"


def official_scrfd_path() -> Path:
    """The SCRFD-10G file of the installed antelopev2 pack; ModelError with the install command if not."""
    from ghost_core.models_store import resolve

    return resolve(SCRFD_PACK) / SCRFD_FILE


def open_detector(name: str = "auto", threshold: float | None = None) -> Detector:
    """`auto`, `scrfd`, `retinaface`, or a path to an SCRFD .onnx; `threshold` None keeps each default."""
    kwargs = {} if threshold is None else {"threshold": float(threshold)}
    if name.lower().endswith(".onnx"):
        return ScrfdDetector(name, **kwargs)
    if name == "retinaface":
        return RetinaFaceDetector(**kwargs)
    if name == "scrfd":
        return ScrfdDetector(official_scrfd_path(), **kwargs)
    if name == "auto":
        try:
            path = official_scrfd_path()
        except ModelError:
            log.info("face detector: RetinaFace-mnet0.25 (offline; install antelopev2 for GHOST's SCRFD-10G)")
            return RetinaFaceDetector(**kwargs)
        log.info("face detector: SCRFD-10G from %s", path)
        return ScrfdDetector(path, **kwargs)
    raise UsageError(
        f"unknown face detector {name!r}: use one of {', '.join(NAMES)} or a path to an SCRFD .onnx"
    )
