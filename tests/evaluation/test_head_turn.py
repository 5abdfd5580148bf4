"""The head-turn clip really turns the face: the detector's yaw estimate follows the built angle."""

from __future__ import annotations

import cv2
import numpy as np

from ghost_core.evaluation.head_turn import head_turn_clip
from ghost_core.faces.detectors import open_detector
from ghost_core.faces.pose import yaw_degrees
from tests.shots import ASSETS


def test_turned_face_reads_as_turned_and_zero_turn_keeps_the_photo() -> None:
    photo = cv2.imread(str(ASSETS / "faces" / "elon_musk.jpg"))[..., ::-1].astype(np.float32) / 255
    still, turned = head_turn_clip(photo, [0.0, 40.0], size=320)
    detector = open_detector("retinaface")
    yaw0 = yaw_degrees(detector.detect(still)[0].kps)
    yaw40 = yaw_degrees(detector.detect(turned)[0].kps)
    assert abs(yaw40 - yaw0) > 25, (yaw0, yaw40)  # a 40° turn moves the estimate by most of it
    assert float(np.abs(turned - still).max()) > 0.2  # pixels moved
