"""Faces: detection, alignment, landmarks, identity, tracking and the track file.

Images handed to this package are float32 H×W×3 RGB arrays in GHOST's model space (sRGB-encoded,
nominally 0..1), top-down; coordinates are (x, y) array pixels with the pixel centre at +0.5.
"""
