"""Engine tests use the shared test shots (tests/shots.py); the fixtures come from tests/conftest.py."""

from tests.shots import ASSETS, DANCE_FRAMES, colour_path, video_frames, write_plate_frame

__all__ = ["ASSETS", "DANCE_FRAMES", "colour_path", "video_frames", "write_plate_frame"]
