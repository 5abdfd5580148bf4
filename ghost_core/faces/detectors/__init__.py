"""Face detectors with five key points: SCRFD (GHOST's own, insightface) and an offline RetinaFace."""

from ghost_core.faces.detectors.base import Detector
from ghost_core.faces.detectors.factory import open_detector
from ghost_core.faces.detectors.retinaface import RetinaFaceDetector
from ghost_core.faces.detectors.scrfd import ScrfdDetector

__all__ = ["Detector", "RetinaFaceDetector", "ScrfdDetector", "open_detector"]
